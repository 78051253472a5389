"""The composition root: the one place that chooses adapters (store, clock, calendar).

Tests hand in their own clock, calendar and environment; nothing connects at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.settings import Settings, persistence_env
from domain.calendar import WorkingCalendar
from workflows.application import Admissions
from workflows.calendar import VietnamCalendar
from workflows.context import Clock, system_clock

if TYPE_CHECKING:
    from api.readmodel import LiveProjections


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
    settings = settings or Settings()
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
    return store_env


def build_projections(admissions: Admissions) -> LiveProjections:
    """The read models the API answers reports from, caught up from the store."""
    from api.readmodel import LiveProjections

    return LiveProjections(admissions)
