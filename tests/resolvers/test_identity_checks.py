"""The identity checks' API: coordinators alone load the alumni register, confirm mentors and
list those waiting, page by page, in the programme they choose."""

from __future__ import annotations

from typing import Any

from db.models import Role
from tests import factories as f
from tests.clients import Api

IMPORT = """mutation($csv: String!, $programmeId: ID) {
  importAlumniRegister(csv: $csv, programmeId: $programmeId) {
    verified { mentor { displayName } }
  }
}"""
CONFIRM = "mutation($id: ID!) { confirmMentorIdentity(mentorId: $id) { id } }"
UNCONFIRM = "mutation($id: ID!) { unconfirmMentorIdentity(mentorId: $id) { id } }"
WAITING = """query($first: Int!, $after: String, $programmeId: ID) {
  unverifiedMentors(first: $first, after: $after, programmeId: $programmeId) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node { id personId signedUpAt mentor { displayName status identityVerified } } }
  }
}"""
ERASE = "mutation($id: ID!) { erasePerson(id: $id) { personId } }"
REGISTER = "name,date of birth\nMaija Öhman,3.4.1979\n"


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["mentor"]["displayName"] for edge in connection["edges"]]


async def test_only_coordinators_check_identities(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Öhman"))
    student = await f.student(api)
    calls: list[tuple[str, dict[str, Any]]] = [
        (IMPORT, {"csv": REGISTER}),
        (CONFIRM, {"id": mentor_id}),
        (UNCONFIRM, {"id": mentor_id}),
        (WAITING, {"first": 10}),
    ]
    for document, variables in calls:
        for person in (mentor, student):
            error = await api.error(document, variables, as_=person)
            assert error["extensions"]["code"] == "FORBIDDEN", document
            assert error["message"] == "Only a coordinator can do that."
        anonymous = await api.error(document, variables)
        assert anonymous["extensions"]["code"] == "UNAUTHENTICATED", document
    waiting = await api.ok(WAITING, {"first": 10}, as_=coordinator)
    assert names(waiting["unverifiedMentors"]) == ["Maija Öhman"]  # nothing was changed
    # The mentor's own page learns the result; a student reading the profile does not.
    await api.ok(IMPORT, {"csv": REGISTER}, as_=coordinator)
    query = "query($id: ID!) { mentor(id: $id) { identityVerified } }"
    assert (await api.ok(query, {"id": mentor_id}, as_=mentor))["mentor"] == {
        "identityVerified": True
    }
    assert (await api.ok(query, {"id": mentor_id}, as_=student))["mentor"] == {
        "identityVerified": None
    }


async def test_mentors_waiting_for_the_check_come_page_by_page_in_the_order_they_signed_up(
    api: Api,
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    ids = {}
    for name in ("Aino Aalto", "Maija Öhman", "Ville Virtanen", "Eero Erased"):
        _, ids[name] = await f.mentor(api, api.person(Role.MENTOR, name))
    await api.ok(IMPORT, {"csv": REGISTER}, as_=coordinator)  # Maija is checked
    before = (await api.ok(WAITING, {"first": 10}, as_=coordinator))["unverifiedMentors"]
    assert names(before) == ["Aino Aalto", "Ville Virtanen", "Eero Erased"]
    eero = before["edges"][2]["node"]
    await api.ok(ERASE, {"id": eero["personId"]}, as_=coordinator)  # no longer to be checked

    first = (await api.ok(WAITING, {"first": 1}, as_=coordinator))["unverifiedMentors"]
    assert (first["totalCount"], names(first)) == (2, ["Aino Aalto"])
    assert first["pageInfo"]["hasNextPage"] is True
    node = first["edges"][0]["node"]
    assert node["id"] == ids["Aino Aalto"]
    assert node["signedUpAt"] == api.server.clock().isoformat()
    assert node["mentor"]["identityVerified"] is False
    after = first["pageInfo"]["endCursor"]
    second = await api.ok(WAITING, {"first": 1, "after": after}, as_=coordinator)
    page = second["unverifiedMentors"]
    assert names(page) == ["Ville Virtanen"]
    assert (page["pageInfo"]["hasNextPage"], page["pageInfo"]["hasPreviousPage"]) == (False, True)
    error = await api.error(WAITING, {"first": 0}, as_=coordinator)
    assert error["extensions"]["code"] == "INVALID_INPUT"


async def test_the_register_checks_the_mentors_of_the_programme_chosen(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)  # this year's, the coordinator's own
    next_year = await f.programme(api, coordinator, name="Mentoring 2027", signup=(-5, 20))
    await f.mentor(api, api.person(Role.MENTOR, "Maija Öhman"), publish=False)
    other = api.person(Role.MENTOR, "Maija Öhman")
    profile = {"dateOfBirth": f.DATE_OF_BIRTH, "headline": "Next year"}
    await api.ok(f.CREATE_MENTOR, {"input": profile, "programmeId": next_year}, as_=other)

    chosen = {"csv": REGISTER, "programmeId": next_year}
    checked = (await api.ok(IMPORT, chosen, as_=coordinator))["importAlumniRegister"]
    assert names_of(checked["verified"]) == ["Maija Öhman"]
    waiting = {"first": 10, "programmeId": next_year}
    assert (await api.ok(WAITING, waiting, as_=coordinator))["unverifiedMentors"]["totalCount"] == 0
    this_year = await api.ok(WAITING, {"first": 10}, as_=coordinator)
    assert names(this_year["unverifiedMentors"]) == ["Maija Öhman"]  # not checked by it


def names_of(items: list[dict[str, Any]]) -> list[str]:
    return [item["mentor"]["displayName"] for item in items]
