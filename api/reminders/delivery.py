"""Delivering a digest: e-mail through ``KETNAP_SMTP_URL`` (stdlib ``smtplib``: STARTTLS
when the server offers it on ``smtp://``, TLS from the start on ``smtps://``) and webhooks
(``httpx``: a POST of the JSON body, signed with HMAC-SHA256 over the raw body with the
subscription's secret). Each attempt that fails for a reason that may pass (a connection
refused, a timeout, a 5xx or 429, an SMTP 4xx) is retried with exponential backoff; a
``DeliveryFailed`` carries the last reason, in words that hold no personal data (no
address, no name: only the channel, the error's class and the status code)."""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import httpx

from api.reminders.message import Message

SIGNATURE_HEADER = "X-Ketnap-Signature"
TIMESTAMP_HEADER = "X-Ketnap-Timestamp"


class DeliveryFailed(Exception):
    """Every attempt failed (or one failed for good); ``reason`` is safe to log and store."""

    def __init__(self, reason: str, attempts: int = 1) -> None:
        super().__init__(reason)
        self.reason, self.attempts = reason, attempts


class Permanent(DeliveryFailed):
    """A failure no retry can mend (a 4xx answer, a refused recipient, no SMTP settings)."""


@dataclass(frozen=True)
class Backoff:
    """``attempts`` tries, waiting ``first_delay`` seconds, then twice as long each time."""

    attempts: int = 4
    first_delay: float = 2.0
    factor: float = 2.0
    sleep: Callable[[float], None] = time.sleep

    def run(self, attempt: Callable[[], None]) -> int:
        """Run ``attempt`` until it succeeds; the number of attempts it took, or
        ``DeliveryFailed`` with the last reason and the attempts made."""
        delay = self.first_delay
        for number in range(1, self.attempts + 1):
            try:
                attempt()
                return number
            except Permanent as exc:
                raise Permanent(exc.reason, number) from exc
            except DeliveryFailed as exc:
                if number == self.attempts:
                    raise DeliveryFailed(exc.reason, number) from exc
            self.sleep(delay)
            delay *= self.factor
        raise AssertionError("unreachable")  # pragma: no cover


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the raw body with the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(
    client: httpx.Client, address: str, secret: str, body: bytes, sent_at: datetime
) -> None:
    """One attempt: POST ``body``; a 2xx answer is an acknowledgement."""
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, body),
        TIMESTAMP_HEADER: sent_at.isoformat(),
        "User-Agent": "ketnap-reminders",
    }
    try:
        response = client.post(address, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"webhook: {type(exc).__name__}") from None
    if response.is_success:
        return
    reason = f"webhook: HTTP {response.status_code}"
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise DeliveryFailed(reason)
    raise Permanent(reason)


@dataclass(frozen=True)
class SmtpServer:
    """``KETNAP_SMTP_URL`` taken apart."""

    host: str
    port: int
    tls: bool  # smtps://: TLS from the first byte
    user: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise Permanent("smtp: KETNAP_SMTP_URL must be smtp://host:port or smtps://host:port")
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            tls=tls,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def send_email(
    server: SmtpServer,
    sender: str,
    to: str,
    message: Message,
    *,
    timeout: float = 30.0,
    context: ssl.SSLContext | None = None,
) -> None:
    """One attempt: hand the e-mail to the SMTP server (accepted: acknowledged)."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, message.subject
    mail.set_content(message.text)  # UTF-8: Vietnamese as written
    context = context or ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if server.tls:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            if not server.tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            if server.user is not None:
                smtp.login(server.user, server.password or "")
            smtp.send_message(mail)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise Permanent(f"smtp: {type(exc).__name__}") from None
    except smtplib.SMTPResponseException as exc:
        reason = f"smtp: {exc.smtp_code}"
        if 400 <= exc.smtp_code < 500:
            raise DeliveryFailed(reason) from None
        raise Permanent(reason) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"smtp: {type(exc).__name__}") from None
