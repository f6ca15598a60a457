"""Roles owned by Mentori. Each way of signing in is a source that grants roles (the identity
provider's claims, mapped by the rules in settings; a bearer token's role claim; the alumni
sign-in), and a coordinator's invitation grants COORDINATOR. A person holds every role some
source grants them; each sign-in restates what its own source grants, so a claim that no longer
grants a role stops granting it while the other sources' grants stay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, bindparam, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from db.models import CoordinatorInvite, Role, UserRole

# Which role a person acts in when a request names none and they hold several.
PRECEDENCE = (Role.COORDINATOR, Role.MENTOR, Role.STUDENT)


class RoleSource(StrEnum):
    """Where a role comes from (`user_roles.source`)."""

    CLAIMS = "claims"  # the identity provider's claims, by the rules in settings
    TOKEN = "token"  # a bearer token's `role` claim (API clients, development tokens)
    INVITE = "invite"  # a coordinator's invitation, accepted by signing in
    ALUMNI = "alumni"  # the alumni sign-in: a mentor candidate
    EMAIL = "email"  # a one-time email link


# What removeCoordinator may take away: Mentori's own grants. The provider's claims would grant
# the role again at the next sign-in; they change at the university.
REMOVABLE = frozenset({RoleSource.INVITE, RoleSource.TOKEN})


class Rule(Protocol):
    claim: str
    value: str
    role: Role


def from_claims(rules: Iterable[Rule], claims: Mapping[str, Any]) -> frozenset[Role]:
    """The roles `rules` grant for these claims. A claim holding a list matches a rule if any
    of its values does; values are compared exactly (a group's name is an identity)."""
    granted: set[Role] = set()
    for rule in rules:
        raw = claims.get(rule.claim)
        values = raw if isinstance(raw, list) else [raw]
        if any(isinstance(v, str) and v == rule.value for v in values):
            granted.add(rule.role)
    return frozenset(granted)


def ordered(roles: Iterable[Role]) -> list[Role]:
    held = set(roles)
    return [role for role in PRECEDENCE if role in held]


def default_role(roles: frozenset[Role], current: Role | None) -> Role | None:
    """The role a person acts in when a request names none: the one they had, while they still
    hold it; else the first they hold in PRECEDENCE."""
    if current in roles:
        return current
    return next(iter(ordered(roles)), None)


async def held(session: AsyncSession, user_id: int) -> frozenset[Role]:
    """Every role the person holds, from any source."""
    rows = await session.scalars(
        select(UserRole.role).where(UserRole.user_id == user_id, UserRole.removed_at.is_(None))
    )
    return frozenset(rows)


async def grant(
    session: AsyncSession,
    user_id: int,
    source: str,
    roles: frozenset[Role],
    *,
    now: datetime,
) -> frozenset[Role]:
    """Make `source` grant the person exactly `roles`: what it granted before and no longer
    does is dropped. A role a coordinator removed stays removed, though the source names it.
    Every role the person then holds, from any source (`held`, without reading it again)."""
    rows = list(await session.execute(_every_grant(), {"user_id": user_id}))
    theirs = [(role, removed_at) for role, from_, removed_at in rows if from_ == source]
    stale = [role for role, removed_at in theirs if role not in roles and removed_at is None]
    if stale:
        await session.execute(
            delete(UserRole)
            .where(
                UserRole.user_id == user_id,
                UserRole.source == source,
                UserRole.role.in_(stale),
            )
            .execution_options(synchronize_session=False)
        )
    known = {role for role, _ in theirs}
    new = ordered(roles - known)
    for role in new:
        await _insert(session, user_id, role, source, now)
    kept = {
        role
        for role, from_, removed_at in rows
        if removed_at is None and not (from_ == source and role in stale)
    }
    return frozenset(kept | set(new))


@cache
def _every_grant() -> Select[Role, str, datetime | None]:
    # Built once: every sign-in runs it.
    return select(UserRole.role, UserRole.source, UserRole.removed_at).where(
        UserRole.user_id == bindparam("user_id")
    )


async def _insert(
    session: AsyncSession, user_id: int, role: Role, source: str, now: datetime
) -> None:
    try:
        async with session.begin_nested():
            await session.execute(
                insert(UserRole).values(user_id=user_id, role=role, source=source, granted_at=now)
            )
    except IntegrityError:  # the same person's first two requests, at once: granted either way
        pass


def _open(address: str | BindParameter[str]) -> Any:
    return (
        (CoordinatorInvite.email == address)
        & CoordinatorInvite.accepted_at.is_(None)
        & CoordinatorInvite.revoked_at.is_(None)
    )


def invitation_waits(address: BindParameter[str]) -> ColumnElement[bool]:
    """Whether an invitation to an address is open, as a column; the address is a parameter,
    whose value is `invited_address` of the (verified) email."""
    return exists().where(_open(address))


def invited_address(email: str) -> str:
    return email.casefold()


async def open_invitation(session: AsyncSession, email: str) -> CoordinatorInvite | None:
    """The invitation waiting for this address (compared case-folded), if one is open."""
    found: CoordinatorInvite | None = await session.scalar(
        select(CoordinatorInvite).where(_open(invited_address(email)))
    )
    return found


async def accept_invitation(
    session: AsyncSession, user_id: int, email: str, *, now: datetime
) -> bool:
    """The open invitation to this (verified) address, if one waits, is accepted: the person
    holds COORDINATOR by invitation. Whoever claims it first takes it, once."""
    if not email:
        return False
    accepted = await session.scalar(
        update(CoordinatorInvite)
        .where(_open(invited_address(email)))
        .values(accepted_at=now, accepted_by_id=user_id)
        .returning(CoordinatorInvite.id)
        .execution_options(synchronize_session=False)
    )
    if accepted is None:
        return False
    await _insert(session, user_id, Role.COORDINATOR, RoleSource.INVITE, now)
    return True
