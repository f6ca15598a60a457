"""Roles owned by Mentori: what a person holds is what each way of signing in grants them now,
plus COORDINATOR once an invitation to their verified address is accepted. Claims that stop
granting a role stop granting it; a person with several roles acts in one per request; nobody
without a role gets in."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.settings import RoleRule
from db.engine import create_sessionmaker
from db.models import CoordinatorInvite, Role, User, UserRole
from services import coordinators, users
from services.errors import DomainError, ErrorCode
from services.roles import RoleSource, from_claims
from services.viewer import Viewer, acting_as
from tests.databases import wipe

NOW = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


# As a university would map its claims (OIDC_PROVIDERS): the affiliation, and a staff group.
RULES = [
    RoleRule(claim="affiliation", value="student", role=Role.STUDENT),
    RoleRule(claim="groups", value="mentoring-staff", role=Role.COORDINATOR),
]


@pytest.fixture
async def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    await wipe(engine)
    return create_sessionmaker(engine)


def university(
    claims: dict[str, Any],
    *,
    subject: str = "aino@university.example",
    email: str = "aino.virtanen@example.fi",
    verified: bool = True,
) -> users.Identity:
    """A sign-in through the university's login, its roles from its claims."""
    return users.Identity(
        subject=subject,
        name="Aino Virtanen",
        email=email,
        email_verified=verified,
        roles=from_claims(RULES, claims),
        source=RoleSource.CLAIMS,
        issued_at=NOW,
    )


def token(subject: str, role: Role, email: str = "") -> users.Identity:
    return users.Identity(
        subject=subject,
        name=f"{role.value.title()} by token",
        email=email,
        email_verified=False,
        roles=frozenset({role}),
        source=RoleSource.TOKEN,
        issued_at=NOW,
    )


async def sign_in(sessions: async_sessionmaker[AsyncSession], identity: users.Identity) -> Viewer:
    async with sessions() as session:
        viewer = await users.sign_in_as(session, identity, now=NOW)
        await session.commit()
        return viewer


async def refused(
    sessions: async_sessionmaker[AsyncSession], identity: users.Identity
) -> DomainError:
    with pytest.raises(DomainError) as error:
        await sign_in(sessions, identity)
    return error.value


async def invite(
    sessions: async_sessionmaker[AsyncSession], coordinator: Viewer, email: str
) -> None:
    async with sessions() as session:
        await coordinators.invite(session, coordinator, email, now=NOW)
        await session.commit()


async def test_claims_grant_roles_and_stop_granting_them_when_they_change(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    aino = await sign_in(sessions, university({"affiliation": ["member", "student"]}))
    assert (aino.role, aino.roles) == (Role.STUDENT, frozenset({Role.STUDENT}))

    # She joins the programme's staff group: she holds both, and still acts as a student.
    staff = {"affiliation": "student", "groups": ["library", "mentoring-staff"]}
    aino = await sign_in(sessions, university(staff))
    assert (aino.role, aino.roles) == (Role.STUDENT, frozenset({Role.STUDENT, Role.COORDINATOR}))

    # She graduates: the affiliation no longer makes her a student, and she is not one.
    aino = await sign_in(sessions, university({"affiliation": "alum", "groups": "mentoring-staff"}))
    assert (aino.role, aino.roles) == (Role.COORDINATOR, frozenset({Role.COORDINATOR}))

    # She leaves the staff group too: she holds nothing, and is told so.
    error = await refused(sessions, university({"affiliation": "alum", "groups": []}))
    assert error.code is ErrorCode.UNAUTHENTICATED
    assert error.message.startswith("Your account holds no role in Mentori")


async def test_a_role_another_source_grants_stays_when_the_claims_stop_granting_theirs(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    subject = "aino@university.example"
    await sign_in(sessions, token(subject, Role.MENTOR))
    aino = await sign_in(sessions, university({"affiliation": "student"}, subject=subject))
    assert aino.roles == {Role.MENTOR, Role.STUDENT}

    aino = await sign_in(sessions, university({"affiliation": "alum"}, subject=subject))
    assert (aino.role, aino.roles) == (Role.MENTOR, frozenset({Role.MENTOR}))


async def test_an_invitation_is_accepted_only_by_a_verified_matching_email(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    kaisa = await sign_in(sessions, token("kaisa", Role.COORDINATOR, "kaisa@example.edu"))
    await invite(sessions, kaisa, "Aino.Virtanen@Example.FI")

    # The same address, but the sign-in does not vouch for it: a student, nothing more.
    unverified = university({"affiliation": "student"}, verified=False)
    assert (await sign_in(sessions, unverified)).roles == {Role.STUDENT}
    # Another address, verified: still not hers to accept.
    elsewhere = university({"affiliation": "student"}, email="aino@elsewhere.example")
    assert (await sign_in(sessions, elsewhere)).roles == {Role.STUDENT}
    async with sessions() as session:
        [open_invite] = (await session.scalars(select(CoordinatorInvite))).all()
        assert open_invite.accepted_at is None

    # Her address, in any letter case, verified: she is a coordinator by invitation.
    aino = await sign_in(sessions, university({"affiliation": "student"}))
    assert aino.roles == {Role.STUDENT, Role.COORDINATOR}
    assert aino.role is Role.STUDENT  # the role she had stays her default
    async with sessions() as session:
        accepted = await session.scalar(select(CoordinatorInvite))
        assert accepted is not None
        assert (accepted.accepted_at, accepted.accepted_by_id) == (NOW, aino.user_id)
        grants = await session.execute(
            select(UserRole.role, UserRole.source).where(UserRole.user_id == aino.user_id)
        )
        assert {tuple(row) for row in grants} == {
            (Role.STUDENT, RoleSource.CLAIMS),
            (Role.COORDINATOR, RoleSource.INVITE),
        }

    # The invitation is spent: her claims changing later takes nothing Mentori granted.
    aino = await sign_in(sessions, university({"affiliation": "alum"}))
    assert (aino.role, aino.roles) == (Role.COORDINATOR, frozenset({Role.COORDINATOR}))


async def test_an_invitation_alone_lets_someone_without_a_university_role_in(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    kaisa = await sign_in(sessions, token("kaisa", Role.COORDINATOR, "kaisa@example.edu"))
    staff_member = university({"affiliation": "staff"}, subject="pekka", email="pekka@example.fi")
    error = await refused(sessions, staff_member)
    assert error.code is ErrorCode.UNAUTHENTICATED
    async with sessions() as session:  # a refused sign-in leaves nobody behind
        assert await session.scalar(select(User).where(User.subject == "pekka")) is None

    await invite(sessions, kaisa, "pekka@example.fi")
    pekka = await sign_in(sessions, staff_member)
    assert (pekka.role, pekka.roles) == (Role.COORDINATOR, frozenset({Role.COORDINATOR}))


async def test_a_person_with_several_roles_acts_in_one_per_request(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    subject = "aino@university.example"
    await sign_in(sessions, university({"affiliation": "student"}, subject=subject))
    aino = await sign_in(sessions, token(subject, Role.MENTOR))
    # Her default stays the role she had; a new person would start in the first by precedence.
    assert (aino.role, aino.roles) == (Role.STUDENT, frozenset({Role.STUDENT, Role.MENTOR}))
    both = await sign_in(sessions, token("new", Role.MENTOR))
    assert both.role is Role.MENTOR

    assert acting_as(aino, None) == aino
    assert acting_as(aino, "mentor").role is Role.MENTOR
    assert acting_as(aino, " Student ").role is Role.STUDENT
    with pytest.raises(DomainError) as forbidden:
        acting_as(aino, "COORDINATOR")
    assert forbidden.value.code is ErrorCode.FORBIDDEN
    assert forbidden.value.message == (
        "You do not hold the coordinator role in Mentori (you hold: student and mentor); ask "
        "the programme's coordinators if you should."
    )
    with pytest.raises(DomainError) as unknown:
        acting_as(aino, "admin")
    assert unknown.value.code is ErrorCode.INVALID_INPUT
    assert "There is no role 'admin'" in unknown.value.message


async def test_an_erased_persons_sign_in_from_before_the_erasure_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    aino = await sign_in(sessions, university({"affiliation": "student"}))
    async with sessions() as session:
        user = await session.get(User, aino.user_id)
        assert user is not None
        user.erased_at, user.erased_subject_digest = NOW, users.subject_digest(user.subject)
        user.subject = f"erased:{user.id}"
        await session.commit()

    error = await refused(sessions, university({"affiliation": "student"}))
    assert error.message.startswith("This person's data was erased")
    # A sign-in made after the erasure is a new beginning.
    later = replace(university({"affiliation": "student"}), issued_at=NOW + timedelta(minutes=5))
    again = await sign_in(sessions, later)
    assert again.user_id != aino.user_id


async def test_two_coordinators_removing_each_other_at_once_leave_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    kaisa = await sign_in(sessions, token("kaisa", Role.COORDINATOR, "kaisa@example.edu"))
    olli = await sign_in(sessions, token("olli", Role.COORDINATOR, "olli@example.edu"))

    async def remove(by: Viewer, whom: Viewer) -> str:
        async with sessions() as session:
            try:
                await coordinators.remove(session, by, whom.user_id, now=NOW)
            except DomainError as error:
                await session.rollback()
                return error.code.value
            await session.commit()
            return "removed"

    outcomes = await asyncio.gather(remove(kaisa, olli), remove(olli, kaisa))
    assert sorted(outcomes) == ["LAST_COORDINATOR", "removed"]
    async with sessions() as session:
        left = await coordinators.coordinators(session, kaisa)
    assert len(left) == 1
    assert left[0].cannot_remove is not None
    assert "the only coordinator left" in left[0].cannot_remove


async def test_signing_in_again_with_nothing_changed_reads_twice_and_writes_nothing(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """Each new bearer token signs its person in: a live page's many connections must not each
    cost a write, nor more reads than the person's row and roles."""
    first = await sign_in(sessions, university({"affiliation": "student", "groups": []}))
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        again = await sign_in(sessions, university({"affiliation": "student", "groups": []}))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert again == first
    assert [s for s in statements if s not in ("BEGIN", "COMMIT")] == ["SELECT", "SELECT"]
