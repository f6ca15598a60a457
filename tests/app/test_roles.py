"""Roles through the API, as clients meet them: a person holding several acts in the one each
request names; a coordinator invites someone, who becomes a coordinator by signing in with that
address verified (and not otherwise); a coordinator's role is taken away at once, but never the
last one's, nor one the university's sign-in grants."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from app.auth import issue_dev_token
from db.models import Role
from live.unit_of_work import UnitOfWork
from services import users
from services.roles import RoleSource
from services.viewer import Viewer
from tests.clients import Api, GraphQLErrorResponse, Person, WebSocketClosed, live_client
from tests.waiting import eventually

VIEWER = "{ viewer { name role roles } }"
COORDINATORS = "{ coordinators { id name email source cannotRemove } }"
INVITES = "{ coordinatorInvites { id email invitedBy acceptedAt } }"
CHECK = "query($email: String!) { checkCoordinatorInvite(email: $email) }"
INVITE = """mutation($email: String!) {
  inviteCoordinator(email: $email) { id email invitedBy createdAt acceptedAt revokedAt }
}"""
REVOKE = "mutation($id: ID!) { revokeCoordinatorInvite(id: $id) { id email revokedAt } }"
REMOVE = "mutation($id: ID!) { removeCoordinator(personId: $id) { personId name removedAt } }"


def person(
    api: Api, role: Role, name: str, address: str, *, subject: str | None = None, verified: bool
) -> Person:
    """Someone signed in with a token that names `role`, vouching for their address or not."""
    subject = subject or f"{name.split()[0].lower()}-{uuid.uuid4().hex[:12]}"
    token = issue_dev_token(
        api.server.settings,
        subject=subject,
        role=role,
        name=name,
        email=address,
        now=datetime.now(UTC),
        email_verified=verified,
    )
    return Person(role, subject, name, address, token)


async def through_university(api: Api, subject: str, roles: set[Role], name: str) -> Viewer:
    """The person signs in through the university's login, whose claims grant `roles`."""
    identity = users.Identity(
        subject=subject,
        name=name,
        email=f"{subject}@example.edu",
        email_verified=True,
        roles=frozenset(roles),
        source=RoleSource.CLAIMS,
        issued_at=api.server.clock(),
    )
    uow: UnitOfWork = api.server.app.state.uow
    return await uow.run(lambda s: users.sign_in_as(s, identity, now=api.server.clock()))


async def acting(
    api: Api, query: str, who: Person, role: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await api.raw(query, variables, token=who.token, headers={"x-mentori-role": role})
    body: dict[str, Any] = response.json()
    return body


async def named(api: Api, coordinator: Person, name: str) -> dict[str, Any]:
    found = (await api.ok(COORDINATORS, as_=coordinator))["coordinators"]
    [row] = [c for c in found if c["name"] == name]
    assert isinstance(row, dict)
    return row


def letters_to(folder: Path, address: str) -> list[EmailMessage]:
    found = []
    for path in sorted(folder.glob("*-coordinator_invite.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if message["To"] == address:
            found.append(message)
    return found


async def test_a_person_holding_two_roles_acts_in_the_one_each_request_names(api: Api) -> None:
    subject = f"aino-{uuid.uuid4().hex[:8]}"
    await through_university(api, subject, {Role.STUDENT}, "Aino Virtanen")
    aino = person(
        api, Role.MENTOR, "Aino Virtanen", "aino@example.fi", subject=subject, verified=False
    )

    viewer = (await api.ok(VIEWER, as_=aino))["viewer"]
    assert (viewer["role"], viewer["roles"]) == ("MENTOR", ["MENTOR", "STUDENT"])
    as_student = await acting(api, VIEWER, aino, "student")
    assert as_student["data"]["viewer"]["role"] == "STUDENT"
    as_mentor = await acting(api, VIEWER, aino, "MENTOR")
    assert as_mentor["data"]["viewer"]["role"] == "MENTOR"

    response = await api.raw(
        COORDINATORS, token=aino.token, headers={"x-mentori-role": "COORDINATOR"}
    )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"].startswith("You do not hold the coordinator role in Mentori")


async def test_an_invited_person_becomes_a_coordinator_by_signing_in_with_the_address_verified(
    api: Api,
) -> None:
    kaisa = person(
        api, Role.COORDINATOR, "Kaisa Koordinaattori", "kaisa@example.edu", verified=False
    )
    invited = (await api.ok(INVITE, {"email": "Aino.Virtanen@Example.FI"}, as_=kaisa))[
        "inviteCoordinator"
    ]
    assert (invited["email"], invited["invitedBy"], invited["acceptedAt"]) == (
        "aino.virtanen@example.fi",
        "Kaisa Koordinaattori",
        None,
    )

    # The letter says who invited her, to which Mentori, and how to sign in.
    folder = Path(api.server.settings.mail_dir or "")

    async def delivered() -> list[EmailMessage]:
        return letters_to(folder, "aino.virtanen@example.fi")

    [letter] = await eventually(delivered, what="the invitation to be delivered")
    assert letter["Subject"] == "[Mentori] Kaisa Koordinaattori invites you to coordinate mentoring"
    body = letter.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    public = api.server.settings.public_url
    assert "Kaisa Koordinaattori has invited you to become a coordinator" in text
    assert f"in Mentori, at {public}." in text
    assert "sign in with an account whose email address is aino.virtanen@example.fi" in text
    assert f"Open the coordinator dashboard: {public}/dashboard" in text

    # Her sign-in names the address but does not vouch for it: she stays a student.
    subject = f"aino-{uuid.uuid4().hex[:8]}"
    unverified = person(
        api,
        Role.STUDENT,
        "Aino Virtanen",
        "aino.virtanen@example.fi",
        subject=subject,
        verified=False,
    )
    assert (await api.ok(VIEWER, as_=unverified))["viewer"]["roles"] == ["STUDENT"]
    refused = await acting(api, COORDINATORS, unverified, "COORDINATOR")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # Vouched for, in another letter case: she is a coordinator, and acts as one when she asks.
    aino = person(
        api,
        Role.STUDENT,
        "Aino Virtanen",
        "AINO.virtanen@example.fi",
        subject=subject,
        verified=True,
    )
    assert (await api.ok(VIEWER, as_=aino))["viewer"]["roles"] == ["COORDINATOR", "STUDENT"]
    listed = (await acting(api, COORDINATORS, aino, "COORDINATOR"))["data"]["coordinators"]
    assert {(c["name"], c["source"]) for c in listed} == {
        ("Kaisa Koordinaattori", "TOKEN"),
        ("Aino Virtanen", "INVITE"),
    }
    [accepted] = (await api.ok(INVITES, as_=kaisa))["coordinatorInvites"]
    assert accepted["acceptedAt"] == api.server.clock().isoformat()


async def test_an_invitation_is_refused_for_a_coordinator_or_an_open_one_and_can_be_revoked(
    api: Api,
) -> None:
    kaisa = person(
        api, Role.COORDINATOR, "Kaisa Koordinaattori", "kaisa@example.edu", verified=False
    )
    not_an_address = await api.error(CHECK, {"email": "aino at example"}, as_=kaisa)
    assert (not_an_address["extensions"]["code"], not_an_address["message"]) == (
        "INVALID_INPUT",
        "The address is not an email address.",
    )
    await api.ok(VIEWER, as_=kaisa)
    colleague = await api.error(CHECK, {"email": "Kaisa@Example.edu"}, as_=kaisa)
    assert (colleague["extensions"]["code"], colleague["message"]) == (
        "ALREADY_COORDINATOR",
        "Kaisa Koordinaattori (kaisa@example.edu) is a coordinator already.",
    )
    assert (await api.ok(CHECK, {"email": " olli@example.fi "}, as_=kaisa)) == {
        "checkCoordinatorInvite": "olli@example.fi"
    }

    invite = (await api.ok(INVITE, {"email": "olli@example.fi"}, as_=kaisa))["inviteCoordinator"]
    again = await api.error(INVITE, {"email": "OLLI@example.fi"}, as_=kaisa)
    assert again["extensions"]["code"] == "ALREADY_INVITED"
    assert again["message"] == (
        "olli@example.fi was invited on 22 Jan 2026 and has not signed in yet. The invitation "
        "stays open until they do, or until a coordinator revokes it."
    )
    student = person(api, Role.STUDENT, "Sami Opiskelija", "sami@example.edu", verified=True)
    forbidden = await api.error(INVITE, {"email": "sami@example.edu"}, as_=student)
    assert forbidden["extensions"]["code"] == "FORBIDDEN"

    revoked = (await api.ok(REVOKE, {"id": invite["id"]}, as_=kaisa))["revokeCoordinatorInvite"]
    assert revoked["revokedAt"] == api.server.clock().isoformat()
    assert (await api.ok(INVITES, as_=kaisa))["coordinatorInvites"] == []
    twice = await api.error(REVOKE, {"id": invite["id"]}, as_=kaisa)
    assert twice["extensions"]["code"] == "INVITATION_NOT_OPEN"
    assert (
        twice["message"]
        == "This invitation to olli@example.fi was revoked already, on 22 Jan 2026."
    )
    # Revoked, the address makes nobody a coordinator.
    olli = person(api, Role.STUDENT, "Olli Opiskelija", "olli@example.fi", verified=True)
    assert (await api.ok(VIEWER, as_=olli))["viewer"]["roles"] == ["STUDENT"]


async def test_a_removed_coordinator_is_refused_as_one_at_their_next_request(api: Api) -> None:
    kaisa = person(
        api, Role.COORDINATOR, "Kaisa Koordinaattori", "kaisa@example.edu", verified=False
    )
    olli = person(api, Role.COORDINATOR, "Olli Koordinaattori", "olli@example.edu", verified=False)
    await api.ok(COORDINATORS, as_=olli)  # his viewer is remembered by the server now
    # Invited, and a student by her token too.
    await api.ok(INVITE, {"email": "aino@example.fi"}, as_=kaisa)
    aino = person(api, Role.STUDENT, "Aino Virtanen", "aino@example.fi", verified=True)
    await acting(api, COORDINATORS, aino, "COORDINATOR")

    async with live_client(api.server.ws_url, olli.token) as live:
        gone = await named(api, kaisa, "Olli Koordinaattori")
        removed = (await api.ok(REMOVE, {"id": gone["id"]}, as_=kaisa))["removeCoordinator"]
        assert (removed["personId"], removed["name"]) == (gone["id"], "Olli Koordinaattori")
        code, _ = await live.closed(within=5)
        assert code == 4401
    # His token named only the role taken away: it no longer signs him in.
    error = await api.error(COORDINATORS, as_=olli)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "holds no role in Mentori" in error["message"]
    with pytest.raises(WebSocketClosed):
        async with live_client(api.server.ws_url, olli.token):
            pass

    # Aino keeps the role she had before: she is a student, and no longer a coordinator.
    await api.ok(REMOVE, {"id": (await named(api, kaisa, "Aino Virtanen"))["id"]}, as_=kaisa)
    assert (await api.ok(VIEWER, as_=aino))["viewer"]["roles"] == ["STUDENT"]
    refused = await acting(api, COORDINATORS, aino, "COORDINATOR")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert [c["name"] for c in (await api.ok(COORDINATORS, as_=kaisa))["coordinators"]] == [
        "Kaisa Koordinaattori"
    ]


async def test_the_last_coordinator_stays_and_a_role_the_university_grants_is_not_removed_here(
    api: Api,
) -> None:
    kaisa = person(
        api, Role.COORDINATOR, "Kaisa Koordinaattori", "kaisa@example.edu", verified=False
    )
    me = await named(api, kaisa, "Kaisa Koordinaattori")
    assert me["cannotRemove"] == (
        "You are the only coordinator left: invite another coordinator first, so that someone "
        "can still run the programme."
    )
    last = await api.error(REMOVE, {"id": me["id"]}, as_=kaisa)
    assert (last["extensions"]["code"], last["message"]) == ("LAST_COORDINATOR", me["cannotRemove"])

    await through_university(
        api, f"pekka-{uuid.uuid4().hex[:8]}", {Role.COORDINATOR}, "Pekka Staff"
    )
    pekka = await named(api, kaisa, "Pekka Staff")
    assert pekka["source"] == "CLAIMS"
    fixed = await api.error(REMOVE, {"id": pekka["id"]}, as_=kaisa)
    assert fixed["extensions"]["code"] == "ROLE_FROM_IDENTITY_PROVIDER"
    assert fixed["message"] == (
        "Pekka Staff is a coordinator through the university's sign-in: a group at the "
        "university makes them one, and Mentori cannot take that away. Ask the university's "
        "identity administrators to change the group."
    )

    # With Pekka there, Kaisa may step down herself; her next request is no coordinator's.
    assert (await named(api, kaisa, "Kaisa Koordinaattori"))["cannotRemove"] is None
    await api.ok(REMOVE, {"id": me["id"]}, as_=kaisa)
    with pytest.raises(GraphQLErrorResponse) as refused:
        await api.ok(COORDINATORS, as_=kaisa)
    assert refused.value.code == "UNAUTHENTICATED"


async def test_an_erased_coordinator_leaves_no_address_in_the_invitations(api: Api) -> None:
    kaisa = person(
        api, Role.COORDINATOR, "Kaisa Koordinaattori", "kaisa@example.edu", verified=True
    )
    await api.ok(INVITE, {"email": "aino.virtanen@example.fi"}, as_=kaisa)
    await api.ok(INVITE, {"email": "bertta@example.fi"}, as_=kaisa)
    aino = person(api, Role.STUDENT, "Aino Virtanen", "aino.virtanen@example.fi", verified=True)
    assert (await api.ok(VIEWER, as_=aino))["viewer"]["roles"] == ["COORDINATOR", "STUDENT"]

    await api.ok("mutation { eraseMe { erasedAt } }", as_=aino)

    invites = (await api.ok(INVITES, as_=kaisa))["coordinatorInvites"]
    addresses = sorted(i["email"] for i in invites)
    assert "aino.virtanen@example.fi" not in addresses
    assert "bertta@example.fi" in addresses  # someone else's invitation is theirs, still open
