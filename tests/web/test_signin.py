"""Dashboard sessions live in the state database: a sign-out ends one for good, and a key taken from
the configuration ends the sessions it opened."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from starlette.requests import Request

from dragoman.config import Settings, Tenant
from dragoman.store.database import open_database
from dragoman.store.web_sessions import WebSessions
from dragoman.web.signin import Visitor, remember, sign_in, sign_out, visitor


def request_with(session: dict[str, object]) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/ui/jobs", "headers": [], "session": session})


def settings_with(tmp_path: Path, *keys: str) -> Settings:
    return Settings(data_dir=tmp_path, tenants={"acme": Tenant(azure_keys=[SecretStr(key) for key in keys])})


def test_a_session_ends_when_signed_out_or_when_its_key_is_taken_away(tmp_path: Path) -> None:
    sessions = WebSessions(open_database(f"sqlite:///{tmp_path / 'state.db'}"))
    before = settings_with(tmp_path, "old-key-1234567890", "other-key-1234567890")
    who = sign_in(before, "old-key-1234567890")
    assert who == Visitor("tenant", "acme")
    cookie: dict[str, object] = {}
    remember(request_with(cookie), who, "old-key-1234567890", before, sessions)
    assert "old-key" not in str(cookie)  # the key is kept nowhere
    assert visitor(request_with(dict(cookie)), before, sessions) == who
    # the tenant's other key stays; the one this session used is taken away: the session ends
    rotated = settings_with(tmp_path, "other-key-1234567890")
    assert visitor(request_with(dict(cookie)), rotated, sessions) is None
    # signed out: a copy of the cookie opens nothing, with the old key back or not
    sign_out(request_with(dict(cookie)), sessions)
    assert visitor(request_with(dict(cookie)), before, sessions) is None
    assert visitor(request_with({"dragoman.session": "x" * 40}), before, sessions) is None  # a made-up token
