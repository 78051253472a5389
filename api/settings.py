"""Configuration from the environment (pydantic-settings), and the translation of
``KETNAP_DATABASE_URL`` into the eventsourcing library's persistence settings."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_FILE = "ketnap.db"


class Settings(BaseSettings):
    """Every setting is an environment variable prefixed ``KETNAP_`` (see docs/operations.md)."""

    model_config = SettingsConfigDict(env_prefix="KETNAP_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="postgresql://user@host:port/db, sqlite:///path/file.db or memory://; "
        "unset: an embedded SQLite file ketnap.db in the working directory.",
    )
    admin_token: SecretStr | None = None
    postgres_pool_size: int = Field(default=10, ge=1, le=200)
    cipher_key: SecretStr | None = Field(
        default=None,
        description="Encrypt event payloads at rest (AES-GCM, the library's cipher); a "
        "base64 key of 16, 24 or 32 bytes. Every process on the store needs the same key.",
    )
    previous_cipher_key: SecretStr | None = Field(
        default=None,
        description="During a key rotation only: the key the store was written with, still "
        "accepted for reading while `ketnap keys rotate` re-encrypts with KETNAP_CIPHER_KEY.",
    )
    serve_projections: bool = Field(
        default=True,
        description="Whether `ketnap serve` keeps the read models caught up in the background.",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="The largest JSON request body accepted (413 beyond it, before the body "
        "is read past the limit; the token is checked before any of it is read).",
    )
    max_import_bytes: int = Field(
        default=20 * 1_048_576,
        ge=1024,
        description="The largest spreadsheet an import reads: `ketnap import`, `POST "
        "/imports/{kind}` and the web app's import page (413 beyond it, before the upload is "
        "read past the limit); uploads are streamed to a temporary file on disk, never held "
        "in memory.",
    )
    auth_failures_per_minute: int = Field(
        default=20,
        ge=0,
        description="Failed authentications a client address may make in a minute before "
        "every request from it is answered 429 with Retry-After (0: no limit). Counted per "
        "server process.",
    )
    session_key: SecretStr | None = Field(
        default=None,
        description="The key that seals the web app's session cookies (any text of 32 "
        "characters or more). Unset: a random key per `ketnap serve` (its workers share it), "
        "so signing in again is needed after a restart.",
    )
    session_hours: int = Field(
        default=8,
        ge=1,
        le=24 * 30,
        description="How long a web app sign-in lasts before the board signs in again.",
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="Where reminders' e-mail goes: smtp://[user:password@]host:port "
        "(STARTTLS when the server offers it) or smtps://… (TLS from the start).",
    )
    smtp_from: str = Field(
        default="ketnap@localhost", description="The From address of reminders' e-mail."
    )
    reminders: bool = Field(
        default=True,
        description="Whether `ketnap serve` sends the reminders' digests itself (a scheduler "
        "thread checking every minute); false when `ketnap reminders run` runs from cron.",
    )
    reminder_lease_minutes: int = Field(
        default=15,
        ge=0,
        le=24 * 60,
        description="How long a claimed digest stays with the process that claimed it; a "
        "claim older than this whose sender died may be claimed and sent again (ADR 0024).",
    )
    log_level: str = "INFO"
    log_json: bool = True


class DatabaseUrlError(ValueError):
    """KETNAP_DATABASE_URL cannot be understood."""


def persistence_env(database_url: str | None, *, pool_size: int = 10) -> dict[str, str]:
    """The eventsourcing environment for a database URL."""
    if not database_url:
        database_url = f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"
    parts = urlsplit(database_url)
    scheme = parts.scheme.split("+")[0]
    if scheme in ("postgresql", "postgres"):
        dbname = parts.path.lstrip("/")
        if not dbname:
            raise DatabaseUrlError("KETNAP_DATABASE_URL for PostgreSQL must name a database")
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(dbname),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": str(pool_size),
            "POSTGRES_MAX_OVERFLOW": str(pool_size),
            # The longest a request waits for a pooled connection; a store that does not
            # answer is then reported (503) instead of hanging (workflows/postgres.py).
            "POSTGRES_CONNECT_TIMEOUT": "2",
            # Dead connections (a restarted server) are dropped before use, not written to.
            "POSTGRES_PRE_PING": "y",
            # One round trip per save, commit order kept (workflows/postgres.py, ADR 0008).
            "APPLICATION_RECORDER_TOPIC": "workflows.postgres:OrderedPostgresRecorder",
        }
        return env
    if scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute/path.db, as SQLAlchemy spells them.
        path = database_url.split("sqlite://", 1)[1]
        path = path[1:]  # drop the slash that ends "sqlite://"
        if not path:
            raise DatabaseUrlError("KETNAP_DATABASE_URL for SQLite must name a file")
        if path != ":memory:" and not path.startswith("file:"):
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    if scheme == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    raise DatabaseUrlError(
        f"KETNAP_DATABASE_URL scheme '{parts.scheme}' is not supported: use postgresql://, "
        "sqlite:/// or memory://"
    )


_current: Settings | None = None


def current() -> Settings:
    """This process's settings: read from the environment once, on first use, then handed
    to whatever asks (the CLI re-reads them at the start of each command: ``read()``)."""
    return _current if _current is not None else read()


def read() -> Settings:
    """Read the settings from the environment now and keep them as this process's."""
    global _current
    _current = Settings()
    return _current
