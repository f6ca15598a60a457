"""One-time sign-in links by email, for alumni mentors without any account.

A link is asked for with an address; its letter goes through the outbox in the same
transaction. Only the token's digest is stored, so a copy of the table signs nobody in. How
many links are asked for, per address and per requesting network address (kept only as a
keyed digest), is counted in the database, so the limits hold however many processes serve;
on PostgreSQL the count and the new link are serialised per address by advisory locks (SQLite
takes one writer at a time anyway). A link is used by a conditional UPDATE: once, however many
tries arrive at the same moment."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import EmailSignInLink, Role
from services import mail, roles, users
from services.errors import DomainError, ErrorCode
from services.sign_in_sessions import digest
from services.text import email_address
from services.viewer import Viewer

PATH = "/auth/email/"  # a link is PUBLIC_URL + PATH + token (the route in app/email_signin.py)
# What secrets.token_urlsafe makes; anything else is refused before the database is asked.
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
# pg_advisory_xact_lock(key1, key2): key1 "link" in ASCII, recognisable in pg_locks.
LOCK_SPACE = int.from_bytes(b"link", "big")


@dataclass(frozen=True, slots=True)
class Limits:
    minutes: int  # a link works this long; the limits count links asked for in this window
    per_address: int
    per_requester: int


@dataclass(frozen=True, slots=True)
class Link:
    """A link that may still be used: to whom, and where the person goes once signed in."""

    email: str
    next_page: str
    created_at: datetime


def address_key(email: str) -> str:
    """An address as compared: case-folded (Maija.Mentor@Example.fi is maija.mentor@example.fi)."""
    return email.casefold()


def requester_digest(network_address: str, *, key: str) -> str:
    """What is kept of the network address a link was asked from: a keyed digest, which
    counts the requests from one address without storing it (nor letting a copy of the table
    be matched against the few billion IPv4 addresses)."""
    return hmac.new(key.encode(), network_address.encode(), hashlib.sha256).hexdigest()


async def ask(
    session: AsyncSession,
    *,
    email: str,
    next_page: str,
    requested_from: str,
    limits: Limits,
    now: datetime,
) -> str:
    """Store a link for the address and queue its letter; returns the token (the letter is
    the only place it goes). RATE_LIMITED, with `retry_after` in seconds, past a limit."""
    address = email_address(email.strip(), field="email", label="address")
    key = address_key(address)
    await _one_at_a_time(session, f"from:{requested_from}", f"to:{key}")
    since = now - timedelta(minutes=limits.minutes)
    wait = await _wait(session, EmailSignInLink.email == key, limits.per_address, since, now)
    if wait is not None:
        raise _limited(
            f"{_count(limits.per_address)} sent to this address in the last "
            f"{limits.minutes} minutes",
            wait,
        )
    wait = await _wait(
        session, EmailSignInLink.requested_from == requested_from, limits.per_requester, since, now
    )
    if wait is not None:
        raise _limited(
            f"{_count(limits.per_requester)} asked for from your network in the last "
            f"{limits.minutes} minutes",
            wait,
        )
    token = secrets.token_urlsafe(32)
    session.add(
        EmailSignInLink(
            digest=digest(token),
            email=key,
            requested_from=requested_from,
            next_page=next_page,
            created_at=now,
            expires_at=now + timedelta(minutes=limits.minutes),
        )
    )
    mail.sign_in_link(session, to=address, path=PATH + token, minutes=limits.minutes, now=now)
    await session.flush()
    return token


async def _one_at_a_time(session: AsyncSession, *keys: str) -> None:
    """Until commit, nobody else counts or adds links for these keys (always taken in the
    same order: the requester's, then the address's)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in keys:
        number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big")
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": LOCK_SPACE, "key": number - 2**31},  # an int4
        )


async def _wait(
    session: AsyncSession,
    whose: ColumnElement[bool],
    limit: int,
    since: datetime,
    now: datetime,
) -> timedelta | None:
    """How long until one more link may be asked for, or None if one may now: the limit is
    reached while the limit-th newest link of the window is in it."""
    limit_th = await session.scalar(
        select(EmailSignInLink.created_at)
        .where(whose, EmailSignInLink.created_at > since)
        .order_by(EmailSignInLink.created_at.desc())
        .offset(max(limit, 1) - 1)
        .limit(1)
    )
    if limit_th is None:
        return None
    return limit_th - since


def _count(limit: int) -> str:
    return "A sign-in link was already" if limit == 1 else f"{limit} sign-in links were already"


def _limited(what: str, wait: timedelta) -> DomainError:
    seconds = max(1, math.ceil(wait.total_seconds()))
    minutes = math.ceil(seconds / 60)
    when = "in a minute" if minutes == 1 else f"in {minutes} minutes"
    return DomainError(ErrorCode.RATE_LIMITED, f"{what}: try again {when}.", retry_after=seconds)


async def pending(session: AsyncSession, token: str, *, now: datetime) -> Link:
    """The link, if it may still be used (a look: it stays unused)."""
    row = await _find(session, token)
    if row is None:
        raise _unknown()
    _check_usable(row, now)
    return Link(email=row.email, next_page=row.next_page, created_at=row.created_at)


async def use(session: AsyncSession, token: str, *, now: datetime) -> Link:
    """Mark the link used, or refuse: it is used once, whoever else tries at the same moment."""
    if not TOKEN.fullmatch(token):
        raise _unknown()
    used = (
        await session.execute(
            update(EmailSignInLink)
            .where(
                EmailSignInLink.digest == digest(token),
                EmailSignInLink.used_at.is_(None),
                EmailSignInLink.expires_at > now,
            )
            .values(used_at=now)
            .returning(EmailSignInLink.email, EmailSignInLink.next_page, EmailSignInLink.created_at)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if used is None:
        row = await _find(session, token)
        if row is None:
            raise _unknown()
        _check_usable(row, now)
        raise _used()  # used in the moment between the UPDATE and the look
    return Link(email=used.email, next_page=used.next_page, created_at=used.created_at)


async def sign_in(session: AsyncSession, token: str, *, now: datetime) -> tuple[Viewer, str]:
    """Use the link and sign its address in as a mentor (an alumnus or alumna who holds no
    other account); returns the person and the page they asked to go to."""
    link = await use(session, token, now=now)
    viewer = await users.sign_in_as(
        session,
        users.Identity(
            subject=f"email:{link.email}",
            name=link.email.split("@", 1)[0] or link.email,
            email=link.email,
            email_verified=True,
            roles=frozenset({Role.MENTOR}),
            source=roles.RoleSource.EMAIL,
            # A person erased before this link was asked for may come back through it.
            issued_at=link.created_at,
        ),
        now=now,
    )
    return viewer, link.next_page


def masked(email: str) -> str:
    """An address as a page shows it to whoever holds its link: m…@example.fi."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}…@{domain}" if local else email


async def _find(session: AsyncSession, token: str) -> EmailSignInLink | None:
    if not TOKEN.fullmatch(token):
        return None
    found: EmailSignInLink | None = await session.scalar(
        select(EmailSignInLink).where(EmailSignInLink.digest == digest(token))
    )
    return found


def _check_usable(row: EmailSignInLink, now: datetime) -> None:
    if row.used_at is not None:
        raise _used()
    if row.expires_at <= now:
        minutes = round((row.expires_at - row.created_at).total_seconds() / 60)
        raise DomainError(
            ErrorCode.SIGN_IN_LINK_EXPIRED,
            f"This link expired: links work for {minutes} minutes. Ask for a new one.",
        )


def _used() -> DomainError:
    return DomainError(
        ErrorCode.SIGN_IN_LINK_USED,
        "This link was already used: each link signs in once. Ask for a new one.",
    )


def _unknown() -> DomainError:
    return DomainError(
        ErrorCode.NOT_FOUND,
        "This sign-in link is not one we know: it may have been cut short when it was copied. "
        "Open it from the email again, or ask for a new one.",
    )
