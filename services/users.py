"""People, as their sign-ins name them: provisioned on first sign-in, holding the roles
services/roles.py grants, and signed out everywhere once erased or stripped of a role."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, false, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role, User, table_of
from services import roles
from services.errors import DomainError, ErrorCode
from services.viewer import Viewer

# The identity provider's clock and ours may differ by this much (as PyJWT's leeway, app/auth.py):
# a token issued up to this long after an erasure may still be one from before it.
CLOCK_SKEW = timedelta(seconds=30)
_SIGNED_OUT = "mentori.signed_out"  # people signed out by this transaction, once it commits


def subject_digest(subject: str) -> str:
    """What an erased person's subject leaves behind: enough to know their tokens again."""
    return hashlib.blake2b(subject.encode(), digest_size=20, person=b"mentori-subject").hexdigest()


@dataclass(frozen=True, slots=True)
class Identity:
    """A person as one sign-in names them: a bearer token, an identity provider's ID token, or
    an email link. `roles` are those this sign-in grants (its claims, the alumni provider);
    Mentori may grant more (an invitation, services/roles.py)."""

    subject: str  # unique across every way of signing in
    name: str
    email: str
    email_verified: bool
    roles: frozenset[Role]
    source: str  # where the roles come from: services/roles.py, RoleSource
    issued_at: datetime | None = None


async def sign_in_as(session: AsyncSession, identity: Identity, *, now: datetime) -> Viewer:
    """The person behind a verified sign-in of any kind (a bearer token, the identity
    provider's ID token, an email link): created the first time, kept in step with the sign-in
    (its name and email win) afterwards. They hold what this sign-in's source grants now, what
    other sources grant, and COORDINATOR once an open invitation matches their verified email.
    Someone who would hold no role is refused, as is a sign-in from before an erasure (it would
    bring the person back, or write onto the erased record)."""
    # One statement for a person signing in again: their row, when their subject's data was
    # last erased (a token from before that erasure is refused), and whether an invitation
    # waits for their verified address.
    verified_email = identity.email if identity.email_verified else ""
    values = {
        "subject": identity.subject,
        "digest": subject_digest(identity.subject),
        "address": roles.invited_address(verified_email),
    }
    returning, first_time = _sign_in_reads(invitable=bool(verified_email))
    found = (await session.execute(returning, values)).first()
    if found is not None:
        user, erased_at, invitation = found
    else:
        user = None
        erased_at, invitation = (await session.execute(first_time, values)).one()
    issued_at = identity.issued_at
    if erased_at is not None and (issued_at is None or issued_at < erased_at + CLOCK_SKEW):
        raise signed_out()
    if user is None:
        first = roles.default_role(identity.roles | _coordinator_if(invitation), None)
        if first is None:
            raise no_role()
        user = await _create(session, identity, first, now)
    if user.erased_at is not None:
        raise signed_out()
    held = await roles.grant(session, user.id, identity.source, identity.roles, now=now)
    if invitation and await roles.accept_invitation(session, user.id, verified_email, now=now):
        held = await roles.held(session, user.id)
    role = roles.default_role(held, user.role)
    if role is None:
        raise no_role()
    name = identity.name or user.name
    if (user.role, user.name, user.email) != (role, name, identity.email):
        user.role, user.name, user.email = role, name, identity.email
    await session.flush()
    return Viewer(user_id=user.id, role=role, name=user.name, email=user.email, roles=held)


@cache
def _sign_in_reads(
    *, invitable: bool
) -> tuple[Select[User, datetime | None, bool], Select[datetime | None, bool]]:
    """The statements `sign_in_as` reads with, built once (every sign-in runs them): a person's
    row with their subject's last erasure and whether an invitation waits for their address;
    without the row, for someone new."""
    erased = (
        select(func.max(User.erased_at))
        .where(User.erased_subject_digest == bindparam("digest"))
        .scalar_subquery()
    )
    invited = roles.invitation_waits(bindparam("address")) if invitable else false()
    returning = select(User, erased, invited).where(User.subject == bindparam("subject"))
    return returning, select(erased, invited)


def _coordinator_if(invited: bool) -> frozenset[Role]:
    return frozenset({Role.COORDINATOR}) if invited else frozenset()


async def _create(session: AsyncSession, identity: Identity, role: Role, now: datetime) -> User:
    name = identity.name or identity.email or identity.subject[:200]
    try:
        async with session.begin_nested():
            user = User(
                subject=identity.subject, role=role, name=name, email=identity.email, created_at=now
            )
            session.add(user)
    except IntegrityError:  # the same person's first two requests, at once
        found = await session.scalar(select(User).where(User.subject == identity.subject))
        assert found is not None
        return found
    return user


async def viewer_of(session: AsyncSession, user_id: int) -> Viewer:
    """The person as they stand now, by their id (a page's sign-in session): every role they
    hold, acting in their default one. Refused once erased, or holding no role any more."""
    user = await session.get(User, user_id, populate_existing=True)
    if user is None or user.erased_at is not None:
        raise signed_out()
    held = await roles.held(session, user.id)
    role = roles.default_role(held, user.role)
    if role is None:
        raise no_role()
    return Viewer(user_id=user.id, role=role, name=user.name, email=user.email, roles=held)


_USERS = table_of(User).c
_ERASED_AT = (
    select(_USERS.erased_at)
    .where(_USERS.id == bindparam("user_id"))
    .with_for_update(read=True, key_share=True)
)


async def require_not_erased(session: AsyncSession, viewer: Viewer) -> None:
    """Refuse to act for a person erased meanwhile (a process may still hold their viewer).
    The row is locked until this transaction ends, so an erasure waits for this write and
    then erases it too, or this write waits for the erasure and is refused."""
    erased_at = await session.scalar(_ERASED_AT, {"user_id": viewer.user_id})
    if erased_at is not None:
        raise signed_out()


def sign_out_everywhere(session: AsyncSession, user_id: int) -> None:
    """Once this transaction commits, every process forgets the person's tokens and closes
    their live connections (live/unit_of_work.py)."""
    session.info.setdefault(_SIGNED_OUT, set()).add(user_id)


def signed_out_by(session: AsyncSession) -> set[int]:
    signed: set[int] = session.info.pop(_SIGNED_OUT, set())
    return signed


def signed_out() -> DomainError:
    return DomainError(
        ErrorCode.UNAUTHENTICATED,
        "This person's data was erased: their sign-in no longer works. Sign in again.",
    )


NO_ROLE = "NO_ROLE"  # the `reason` of the refusal of someone who holds no role


def no_role() -> DomainError:
    return DomainError(
        ErrorCode.UNAUTHENTICATED,
        "Your account holds no role in Mentori: it is not a student's, a mentor's or a "
        "coordinator's here. If you should have one, ask the programme's coordinators.",
        reason=NO_ROLE,
    )
