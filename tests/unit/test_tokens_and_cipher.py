"""API tokens are stored hashed and can be revoked; event payloads can be encrypted at rest."""

from __future__ import annotations

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
