"""A verified token's viewer is remembered for a moment, so that a page's burst of requests
skips the signature check and the user lookup: never past the token's expiry, never for long,
never without bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.auth import ViewerCache
from db.models import Role
from services.viewer import Viewer

NOW = datetime(2026, 1, 22, 10, 0, tzinfo=UTC)
AINO = Viewer(user_id=1, role=Role.STUDENT, name="Aino Virtanen", email="aino@example.edu")


def test_a_remembered_token_stops_working_when_it_expires() -> None:
    cache = ViewerCache(keep=timedelta(minutes=1))
    expires = NOW + timedelta(seconds=30)
    cache.put("token", AINO, expires, NOW)

    assert cache.get("token", NOW + timedelta(seconds=29)) == (AINO, expires)
    assert cache.get("token", expires) is None


def test_a_token_is_checked_again_after_a_minute() -> None:
    cache = ViewerCache(keep=timedelta(minutes=1))
    cache.put("token", AINO, NOW + timedelta(days=30), NOW)

    assert cache.get("token", NOW + timedelta(seconds=59)) is not None
    assert cache.get("token", NOW + timedelta(minutes=1)) is None


def test_a_clock_set_back_does_not_stretch_a_remembered_token() -> None:
    cache = ViewerCache(keep=timedelta(minutes=1))
    cache.put("token", AINO, NOW + timedelta(days=30), NOW)

    assert cache.get("token", NOW - timedelta(hours=1)) is None


def test_only_the_most_recently_used_tokens_are_kept() -> None:
    cache = ViewerCache(size=2)
    later = NOW + timedelta(days=30)
    for token in ("first", "second"):
        cache.put(token, AINO, later, NOW)
    cache.get("first", NOW)  # used again: "second" is now the oldest
    cache.put("third", AINO, later, NOW)

    assert cache.get("second", NOW) is None
    assert cache.get("first", NOW) is not None
    assert cache.get("third", NOW) is not None
