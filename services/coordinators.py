"""Coordinators, and how one becomes one. A coordinator invites another by email (a letter goes
through the outbox); whoever then signs in with that address, verified by their sign-in, holds
COORDINATOR (services/users.py, sign_in_as). A coordinator may take away the role Mentori
granted (by invitation or by token), never one the university's claims grant (that changes at
the university), and never from the last coordinator: the programme always has someone to run
it. Whoever loses the role is signed out everywhere, so no process acts on their old viewer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CoordinatorInvite, OutboxMessage, OutboxStatus, Role, User, UserRole
from services import mail, roles, users
from services.errors import DomainError, ErrorCode, not_found
from services.roles import REMOVABLE, RoleSource
from services.text import email_address, shortened
from services.viewer import Viewer, require_role

MAX_LISTED_INVITATIONS = 200
# The source a coordinator's row shows when several grant the role: one the university's
# sign-in grants first (it decides whether the role can be removed here).
SHOWN_FIRST = (
    RoleSource.CLAIMS,
    RoleSource.ALUMNI,
    RoleSource.EMAIL,
    RoleSource.INVITE,
    RoleSource.TOKEN,
)


@dataclass(frozen=True, slots=True)
class Coordinator:
    user_id: int
    name: str
    email: str
    source: RoleSource
    since: datetime
    # Why removeCoordinator would refuse to remove them now; None when it would not.
    cannot_remove: str | None


@dataclass(frozen=True, slots=True)
class Invitation:
    invite: CoordinatorInvite
    invited_by: str | None  # the inviter's name; None once they are erased


@dataclass(frozen=True, slots=True)
class Removed:
    user_id: int
    name: str
    removed_at: datetime


@dataclass(frozen=True, slots=True)
class _Held:
    user: User
    grants: list[UserRole]


async def _coordinators(session: AsyncSession, *, lock: bool = False) -> dict[int, _Held]:
    """Everyone who holds COORDINATOR now, with the grants that make them one. With `lock`,
    two removals at once queue here, so neither takes away the other's last colleague."""
    query = (
        select(UserRole, User)
        .join(User, User.id == UserRole.user_id)
        .where(
            UserRole.role == Role.COORDINATOR,
            UserRole.removed_at.is_(None),
            User.erased_at.is_(None),
        )
        .order_by(UserRole.user_id, UserRole.source)
    )
    if lock:
        query = query.with_for_update(of=UserRole)
    held: dict[int, _Held] = {}
    for grant, user in await session.execute(query):
        held.setdefault(user.id, _Held(user, [])).grants.append(grant)
    return held


def _refusal(held: _Held, *, others: int, yourself: bool) -> DomainError | None:
    """Why `held` may not lose COORDINATOR here, or None."""
    who, them = ("You are", "you") if yourself else (f"{held.user.name} is", "them")
    if any(grant.source not in REMOVABLE for grant in held.grants):
        return DomainError(
            ErrorCode.ROLE_FROM_IDENTITY_PROVIDER,
            f"{who} a coordinator through the university's sign-in: a group at the university "
            f"makes {them} one, and Mentori cannot take that away. Ask the university's "
            "identity administrators to change the group.",
        )
    if others == 0:
        return DomainError(
            ErrorCode.LAST_COORDINATOR,
            f"{who} the only coordinator left: invite another coordinator first, so that "
            "someone can still run the programme.",
        )
    return None


def _shown_source(held: _Held) -> RoleSource:
    sources = {grant.source for grant in held.grants}
    return next((source for source in SHOWN_FIRST if source in sources), RoleSource.TOKEN)


async def coordinators(session: AsyncSession, viewer: Viewer | None) -> list[Coordinator]:
    """Everyone who coordinates, by name: how they got the role, since when, and whether it can
    be taken away here."""
    viewer = require_role(viewer, Role.COORDINATOR)
    everyone = await _coordinators(session)
    found = []
    for user_id, held in everyone.items():
        refusal = _refusal(held, others=len(everyone) - 1, yourself=user_id == viewer.user_id)
        found.append(
            Coordinator(
                user_id=user_id,
                name=held.user.name,
                email=held.user.email,
                source=_shown_source(held),
                since=min(grant.granted_at for grant in held.grants),
                cannot_remove=refusal.message if refusal else None,
            )
        )
    return sorted(found, key=lambda c: (c.name.casefold(), c.user_id))


async def remove(
    session: AsyncSession, viewer: Viewer | None, user_id: int, *, now: datetime
) -> Removed:
    """Take COORDINATOR away from a person (Mentori's own grants of it). They keep any other
    role, and are signed out everywhere: their next request is judged afresh."""
    viewer = require_role(viewer, Role.COORDINATOR)
    everyone = await _coordinators(session, lock=True)
    held = everyone.get(user_id)
    if held is None:
        raise not_found("coordinator")
    refusal = _refusal(held, others=len(everyone) - 1, yourself=user_id == viewer.user_id)
    if refusal is not None:
        raise refusal
    mine = (UserRole.user_id == user_id) & (UserRole.role == Role.COORDINATOR)
    await session.execute(
        delete(UserRole)
        .where(mine, UserRole.source == RoleSource.INVITE)
        .execution_options(synchronize_session=False)
    )
    # Kept, marked: the token that granted it still names the role, and must not grant it again.
    await session.execute(
        update(UserRole)
        .where(mine, UserRole.source == RoleSource.TOKEN)
        .values(removed_at=now)
        .execution_options(synchronize_session=False)
    )
    user = held.user
    user.role = roles.default_role(await roles.held(session, user_id), user.role) or user.role
    users.sign_out_everywhere(session, user_id)
    await session.flush()
    return Removed(user_id=user_id, name=user.name, removed_at=now)


# ---- Invitations ---------------------------------------------------------------------------


def _on(moment: datetime) -> str:
    return f"{moment:%-d %b %Y}"


async def check_invitation(session: AsyncSession, viewer: Viewer | None, email: str) -> str:
    """The address an invitation would go to (case-folded), or the reason inviteCoordinator
    would refuse it: not an address, a coordinator already, or invited already."""
    require_role(viewer, Role.COORDINATOR)
    address = email_address(email.strip(), field="email", label="address").casefold()
    for held in (await _coordinators(session)).values():
        if held.user.email.casefold() == address:
            raise DomainError(
                ErrorCode.ALREADY_COORDINATOR,
                f"{held.user.name} ({address}) is a coordinator already.",
                field="email",
            )
    waiting = await roles.open_invitation(session, address)
    if waiting is not None:
        raise _already_invited(address, waiting.created_at)
    return address


def _already_invited(address: str, on: datetime) -> DomainError:
    return DomainError(
        ErrorCode.ALREADY_INVITED,
        f"{address} was invited on {_on(on)} and has not signed in yet. The invitation stays "
        "open until they do, or until a coordinator revokes it.",
        field="email",
    )


async def invite(
    session: AsyncSession, viewer: Viewer | None, email: str, *, now: datetime
) -> Invitation:
    """Invite someone to coordinate: a letter tells them who invited them, to which Mentori,
    and how to sign in. Signing in with this address, verified, makes them a coordinator."""
    viewer = require_role(viewer, Role.COORDINATOR)
    address = await check_invitation(session, viewer, email)
    invitation = CoordinatorInvite(email=address, invited_by_id=viewer.user_id, created_at=now)
    try:
        async with session.begin_nested():
            session.add(invitation)
    except IntegrityError as error:  # another coordinator invited the address at this moment
        raise _already_invited(address, now) from error
    _send_letter(session, address, inviter=viewer.name, now=now)
    return Invitation(invitation, viewer.name)


def _send_letter(session: AsyncSession, address: str, *, inviter: str, now: datetime) -> None:
    dashboard = f"{mail.PUBLIC_URL}/dashboard"
    letter = mail.Letter(
        subject=f"{shortened(inviter, mail.NAME_IN_SUBJECT)} invites you to coordinate mentoring",
        paragraphs=[
            "Hello,",
            f"{inviter} has invited you to become a coordinator of the mentoring programme in "
            f"Mentori, at {mail.PUBLIC_URL}. Coordinators set the programme's dates and limits, "
            "follow requests and matches as they happen, and step in where needed.",
            f"To accept, open the coordinator dashboard and sign in with an account whose email "
            f"address is {address}: your university account, or another sign-in the page offers "
            "that vouches for this address. Once you have signed in, you are a coordinator.",
            "The invitation stays open until you sign in, or until a coordinator revokes it. If "
            "you did not expect it, you may ignore this letter.",
        ],
        action=("Open the coordinator dashboard", dashboard),
    )
    session.add(
        OutboxMessage(
            programme_id=None,
            user_id=None,
            kind="coordinator_invite",
            to_address=address,
            subject=shortened(f"[Mentori] {letter.subject}", mail.MAX_SUBJECT),
            body_text=letter.text(),
            body_html=letter.html(),
            status=OutboxStatus.PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )


async def revoke(
    session: AsyncSession, viewer: Viewer | None, invite_id: int, *, now: datetime
) -> Invitation:
    """Withdraw an open invitation: its address no longer makes anyone a coordinator."""
    require_role(viewer, Role.COORDINATOR)
    revoked = await session.scalar(
        update(CoordinatorInvite)
        .where(
            CoordinatorInvite.id == invite_id,
            CoordinatorInvite.accepted_at.is_(None),
            CoordinatorInvite.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .returning(CoordinatorInvite.id)
        .execution_options(synchronize_session=False)
    )
    row = await session.get(CoordinatorInvite, invite_id, populate_existing=True)
    if row is None:
        raise not_found("invitation")
    if revoked is None:
        if row.accepted_at is not None:
            raise DomainError(
                ErrorCode.INVITATION_NOT_OPEN,
                f"{row.email} accepted this invitation on {_on(row.accepted_at)}: to take the "
                "role away, remove the coordinator instead.",
            )
        assert row.revoked_at is not None
        raise DomainError(
            ErrorCode.INVITATION_NOT_OPEN,
            f"This invitation to {row.email} was revoked already, on {_on(row.revoked_at)}.",
        )
    return Invitation(row, await _name(session, row.invited_by_id))


async def _name(session: AsyncSession, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = await session.get(User, user_id)
    return user.name if user is not None and user.erased_at is None else None


async def invitations(session: AsyncSession, viewer: Viewer | None) -> list[Invitation]:
    """Invitations not revoked, the newest first: open ones, and those accepted."""
    require_role(viewer, Role.COORDINATOR)
    rows = await session.execute(
        select(CoordinatorInvite, User)
        .outerjoin(User, User.id == CoordinatorInvite.invited_by_id)
        .where(CoordinatorInvite.revoked_at.is_(None))
        .order_by(CoordinatorInvite.created_at.desc(), CoordinatorInvite.id.desc())
        .limit(MAX_LISTED_INVITATIONS)
    )
    return [
        Invitation(row, user.name if user is not None and user.erased_at is None else None)
        for row, user in rows
    ]
