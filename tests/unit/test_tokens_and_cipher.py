"""API tokens are stored hashed and can be revoked; event payloads can be encrypted at rest."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from eventsourcing.cryptography import AESCipher
from pydantic import SecretStr

from api.bootstrap import build_app
from api.settings import Settings
from domain.access import Role, TokenState, token_digest
from domain.errors import DomainError
from tests.scenario import ADMIN, FixedClock, build_tree, make_app, nominate


def test_a_revoked_token_no_longer_authenticates() -> None:
    app = make_app()
    tree = build_tree(app)
    secret, token = app.issue_token(Role.BOARD, tree.commune, "cán bộ ban tổ chức", ADMIN)
    assert app.token_for(secret) == token
    stored: TokenState = app.repository.get(token.id)
    assert secret not in repr(stored) and stored.digest == token_digest(secret)
    revoked = app.revoke_token(token.id, ADMIN)
    assert revoked.revoked_on == app.today()
    assert app.token_for(secret) is None
    with pytest.raises(DomainError) as refused:
        app.revoke_token(token.id, ADMIN)
    assert refused.value.rule == "token_revoked"


def test_payloads_are_encrypted_at_rest_with_a_cipher_key(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/k.db", cipher_key=SecretStr(AESCipher.create_key(32))
    )
    app = build_app(settings, clock=FixedClock())
    try:
        tree = build_tree(app)
        cid = nominate(app, tree, full_name="Nguyễn Thị Lan")
        raw = app.recorder.select_events(cid)[0].state
        assert "Nguyễn".encode() not in raw and b"full_name" not in raw
        assert app.candidacy(cid).person.full_name == "Nguyễn Thị Lan"
    finally:
        app.close()
    reopened = build_app(settings, clock=FixedClock())
    try:
        assert reopened.candidacy(cid).person.full_name == "Nguyễn Thị Lan"
    finally:
        reopened.close()


def test_tokens_expire_a_year_after_issue_unless_told_otherwise() -> None:
    clock = FixedClock()
    app = make_app(clock=clock)
    tree = build_tree(app)
    today = app.today()
    board_secret, board = app.issue_token(Role.BOARD, tree.commune, "ban tổ chức", ADMIN)
    _, admin = app.issue_token(Role.ADMIN, None, "vận hành", ADMIN)
    short_secret, short = app.issue_token(
        Role.AUDITOR, tree.commune, "kiểm tra", ADMIN, today + timedelta(days=90)
    )
    assert board.expires_on == today + timedelta(days=365) and admin.expires_on is None
    assert short.expires_on == today + timedelta(days=90)
    clock.advance(days=90)  # the expiry day itself still works
    assert app.authenticate_token(short_secret) == short
    clock.advance(days=1)
    with pytest.raises(DomainError) as expired:
        app.authenticate_token(short_secret)
    assert expired.value.rule == "token_expired" and str(short.expires_on) in expired.value.detail
    assert app.token_for(board_secret) == board


def test_a_token_refused_says_why() -> None:
    app = make_app()
    tree = build_tree(app)
    secret, token = app.issue_token(Role.REPORTER, tree.commune, "báo cáo", ADMIN)
    for wrong in ("ktn_never-issued", secret + "x"):
        with pytest.raises(DomainError) as unknown:
            app.authenticate_token(wrong)
        assert unknown.value.rule == "token_unknown"
    app.revoke_token(token.id, ADMIN)
    with pytest.raises(DomainError) as revoked:
        app.authenticate_token(secret)
    assert revoked.value.rule == "token_revoked"


@pytest.mark.parametrize(
    ("role", "expiry", "rule"),
    [(Role.BOARD, None, "token_expiry_required"), (Role.ADMIN, "yesterday", "token_expiry_past")],
)
def test_an_expiry_that_cannot_be_is_refused(role: Role, expiry: object, rule: str) -> None:
    app = make_app()
    tree = build_tree(app)
    when = app.today() - timedelta(days=1) if expiry == "yesterday" else None
    with pytest.raises(DomainError) as refused:
        app.issue_token(role, tree.commune, "x", ADMIN, when)
    assert refused.value.rule == rule
    assert app.tokens() == []  # nothing was recorded


def test_tokens_lists_every_token_with_its_state_and_last_use() -> None:
    clock = FixedClock()
    app = make_app(clock=clock)
    tree = build_tree(app)
    first_secret, first = app.issue_token(Role.BOARD, tree.commune, "một", ADMIN)
    _, second = app.issue_token(Role.AUDITOR, tree.commune, "hai", ADMIN)
    app.revoke_token(second.id, ADMIN)
    listed = {state.id: state for state in app.tokens(page=1)}  # pages of one event
    assert set(listed) == {first.id, second.id}
    assert listed[second.id].revoked_on == app.today() and listed[first.id].revoked_on is None
    assert app.token_use.last_used() == {}
    app.authenticate_token(first_secret)
    used_at = clock.now
    clock.advance(seconds=30)
    app.authenticate_token(first_secret)  # within the minute: not written again
    assert app.token_use.last_used() == {first.id: used_at}
    clock.advance(minutes=2)
    app.authenticate_token(first_secret)
    assert app.token_use.last_used() == {first.id: clock.now}
