"""The composition root: the one place that chooses adapters (store, clock, calendar) and
builds, for every entry point (``ketnap serve``, the CLI's commands, the demo, tests), the
application, the read side's runner with its views and the audit digest.

Tests hand in their own clock, calendar and environment; nothing connects at import time.
"""

from __future__ import annotations

from api import settings as process
from api.settings import Settings, persistence_env
from domain.calendar import WorkingCalendar
from projections.live import ReadSide
from projections.runner import Projections
from workflows.application import Admissions
from workflows.calendar import VietnamCalendar
from workflows.context import Clock, system_clock
from workflows.key_rotation import PREVIOUS_CIPHER_KEY


class FollowedAdmissions(Admissions):
    """The application as the library's ``ProjectionRunner`` opens it (``ketnap projections
    run`` on PostgreSQL): read-only use, so the system clock and the default calendar are
    enough (the register's deadlines use the calendar)."""

    name = Admissions.name

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env, clock=system_clock, calendar=VietnamCalendar())


def build_app(
    settings: Settings | None = None,
    *,
    clock: Clock = system_clock,
    calendar: WorkingCalendar | None = None,
    env: dict[str, str] | None = None,
) -> Admissions:
    """An ``Admissions`` application on the configured store.

    ``env`` overrides the persistence environment derived from the settings (tests).
    """
    settings = settings or process.current()
    store_env = store_environment(settings)
    if env:
        store_env.update(env)
    return Admissions(store_env, clock=clock, calendar=calendar or VietnamCalendar())


def store_environment(settings: Settings) -> dict[str, str]:
    """The eventsourcing environment of the configured store (and cipher)."""
    store_env = persistence_env(settings.database_url, pool_size=settings.postgres_pool_size)
    if settings.cipher_key is not None:
        store_env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        store_env["CIPHER_KEY"] = settings.cipher_key.get_secret_value()
        if settings.previous_cipher_key is not None:  # a rotation: read with either key
            store_env["CIPHER_TOPIC"] = "workflows.key_rotation:RotatingCipher"
            store_env[PREVIOUS_CIPHER_KEY] = settings.previous_cipher_key.get_secret_value()
    return store_env


def build_projections(admissions: Admissions, *, page_size: int | None = None) -> Projections:
    """The read side's runner over the application's store: the ledger, the register and
    the audit digest (their tables are created on first use)."""
    if page_size is None:
        return Projections(admissions)
    return Projections(admissions, page_size=page_size)


def build_read_side(admissions: Admissions, *, follow: bool = True) -> ReadSide:
    """The views a server answers from; ``follow``: this process keeps them caught up (a
    daemon thread started by the caller), else another process does."""
    return ReadSide(build_projections(admissions), follow=follow)
