"""A verified token's viewer is remembered for a moment, so that a page's burst of requests
skips the signature check and the user lookup: never past the token's expiry, never for long,
never without bound, and never once the person is signed out (erased) or a sign-out could have
been missed."""

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
    cache.put("token", AINO, expires, NOW, broker_connection=1)

    assert cache.get("token", NOW + timedelta(seconds=29), broker_connection=1) == (AINO, expires)
    assert cache.get("token", expires, broker_connection=1) is None


def test_a_token_is_checked_again_after_a_minute() -> None:
    cache = ViewerCache(keep=timedelta(minutes=1))
    cache.put("token", AINO, NOW + timedelta(days=30), NOW, broker_connection=1)

    assert cache.get("token", NOW + timedelta(seconds=59), broker_connection=1) is not None
    assert cache.get("token", NOW + timedelta(minutes=1), broker_connection=1) is None


def test_a_clock_set_back_does_not_stretch_a_remembered_token() -> None:
    cache = ViewerCache(keep=timedelta(minutes=1))
    cache.put("token", AINO, NOW + timedelta(days=30), NOW, broker_connection=1)

    assert cache.get("token", NOW - timedelta(hours=1), broker_connection=1) is None


def test_only_the_most_recently_used_tokens_are_kept() -> None:
    cache = ViewerCache(size=2)
    later = NOW + timedelta(days=30)
    for token in ("first", "second"):
        cache.put(token, AINO, later, NOW, broker_connection=1)
    cache.get("first", NOW, broker_connection=1)  # used again: "second" is now the oldest
    cache.put("third", AINO, later, NOW, broker_connection=1)

    assert cache.get("second", NOW, broker_connection=1) is None
    assert cache.get("first", NOW, broker_connection=1) is not None
    assert cache.get("third", NOW, broker_connection=1) is not None


BERTTA = Viewer(user_id=2, role=Role.MENTOR, name="Bertta Mentor", email="bertta@example.edu")


def test_a_person_signed_out_is_forgotten_at_once() -> None:
    cache = ViewerCache()
    later = NOW + timedelta(days=30)
    for token, viewer in (("aino-phone", AINO), ("aino-laptop", AINO), ("bertta", BERTTA)):
        cache.put(token, viewer, later, NOW, broker_connection=1)

    cache.forget(AINO.user_id)

    assert cache.get("aino-phone", NOW, broker_connection=1) is None
    assert cache.get("aino-laptop", NOW, broker_connection=1) is None
    assert cache.get("bertta", NOW, broker_connection=1) == (BERTTA, later)


def test_a_token_remembered_before_the_broker_reconnected_is_checked_again() -> None:
    """A sign-out sent while this process had no broker connection never reached it."""
    cache = ViewerCache()
    cache.put("token", AINO, NOW + timedelta(days=30), NOW, broker_connection=1)

    assert cache.get("token", NOW, broker_connection=2) is None


def test_nothing_is_remembered_while_the_broker_is_away() -> None:
    cache = ViewerCache()
    later = NOW + timedelta(days=30)
    cache.put("before", AINO, later, NOW, broker_connection=1)
    cache.put("during", AINO, later, NOW, broker_connection=None)

    assert cache.get("before", NOW, broker_connection=None) is None
    assert cache.get("during", NOW, broker_connection=1) is None
