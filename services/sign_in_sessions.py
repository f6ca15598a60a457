"""Sign-in sessions of the pages: the browser's cookie holds an opaque id, the database its
digest, so a copy of the table signs nobody in. A session ends by sign-out, by erasure of its
person, or at its expiry; an ended one keeps no ID token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SignInSession, User


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Live:
    """A session that signs its person in: whose, and until when."""

    user_id: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Ended:
    """A session just ended: whose, through which provider, and its ID token (for the
    provider's own sign-out), which the database no longer keeps."""

    user_id: int
    digest: str
    provider: str
    id_token: str | None


async def open_session(
    session: AsyncSession,
    *,
    user_id: int,
    provider: str,
    now: datetime,
    lifetime: timedelta,
    id_token: str | None = None,
    user_agent: str = "",
) -> str:
    """A new session for the person; returns the id for the cookie (never stored as such)."""
    raw = secrets.token_urlsafe(32)
    session.add(
        SignInSession(
            digest=digest(raw),
            user_id=user_id,
            provider=provider,
            id_token=id_token,
            user_agent=user_agent[:200],
            created_at=now,
            expires_at=now + lifetime,
            last_seen_at=now,
        )
    )
    await session.flush()
    return raw


async def lookup(session: AsyncSession, raw: str, *, now: datetime) -> Live | None:
    """The session behind a cookie, if it still signs someone in: not ended, not expired, its
    person not erased. A read only (last_seen_at stays as opened): it runs on every request
    that no cache answers."""
    row = (
        await session.execute(
            select(SignInSession.user_id, SignInSession.expires_at)
            .join(User, User.id == SignInSession.user_id)
            .where(
                SignInSession.digest == digest(raw),
                SignInSession.revoked_at.is_(None),
                SignInSession.expires_at > now,
                User.erased_at.is_(None),
            )
        )
    ).one_or_none()
    return Live(user_id=row.user_id, expires_at=row.expires_at) if row else None


async def end(session: AsyncSession, raw: str, *, now: datetime) -> Ended | None:
    """Sign out of one session (None if it had ended already). Its cached viewers and live
    connections are the caller's to drop once this commits (live/hub.py, end_sessions)."""
    row = await session.scalar(
        select(SignInSession)
        .where(SignInSession.digest == digest(raw), SignInSession.revoked_at.is_(None))
        .with_for_update()
    )
    if row is None:
        return None
    ended = Ended(row.user_id, row.digest, row.provider, row.id_token)
    row.revoked_at, row.id_token = now, None
    await session.flush()
    return ended


async def end_all(session: AsyncSession, user_id: int, *, now: datetime) -> None:
    """End every session of the person, and keep nothing of them that names the person
    (erasure). Processes forget what they cached once the person is signed out everywhere
    (services/users.py, sign_out_everywhere, which erasure calls)."""
    await session.execute(
        update(SignInSession)
        .where(SignInSession.user_id == user_id)
        .values(
            revoked_at=func.coalesce(
                SignInSession.revoked_at, literal(now, SignInSession.revoked_at.type)
            ),
            id_token=None,
            user_agent="",
        )
        .execution_options(synchronize_session=False)
    )


async def of_person(session: AsyncSession, user_id: int, *, now: datetime) -> list[SignInSession]:
    """The person's sessions that still sign them in, newest first."""
    rows = await session.scalars(
        select(SignInSession)
        .where(
            SignInSession.user_id == user_id,
            SignInSession.revoked_at.is_(None),
            SignInSession.expires_at > now,
        )
        .order_by(SignInSession.created_at.desc(), SignInSession.id.desc())
    )
    return list(rows)
