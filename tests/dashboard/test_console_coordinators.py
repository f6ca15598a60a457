"""The console's Coordinators section, in Chromium: a coordinator sees who coordinates and how,
is told as they type that an address cannot be invited, invites a colleague (who becomes a
coordinator by signing in with that address verified), revokes an invitation, is told in the
page's banner when one was accepted meanwhile, and removes a coordinator after reading what
that does: the removed person's open console is signed out at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import issue_dev_token
from db.models import Role
from tests.clients import Api, Person
from tests.dashboard.conftest import PHONE, Pages, accessible, screenshot
from tests.databases import outbox

ROLES = "{ viewer { roles } }"


def vouched_for(api: Api, role: Role, name: str, address: str) -> Person:
    """Someone whose sign-in vouches for their email address (a verified email)."""
    subject = f"{name.split()[0].lower()}-verified"
    token = issue_dev_token(
        api.server.settings,
        subject=subject,
        role=role,
        name=name,
        email=address,
        now=datetime.now(UTC),
        email_verified=True,
    )
    return Person(role, subject, name, address, token)


@pytest.mark.browser
async def test_a_coordinator_invites_revokes_and_removes_coordinators(
    api: Api, pages: Pages, database: tuple[str, AsyncEngine]
) -> None:
    kaisa = api.person(Role.COORDINATOR, "Kaisa Koordinaattori", email="kaisa@example.edu")
    page = await pages.open(kaisa, "/dashboard/coordinators", subscriptions=0)
    await expect(page.get_by_role("link", name="Coordinators")).to_have_attribute(
        "aria-current", "page"
    )
    rows = page.locator("#coordinators tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Kaisa Koordinaattori (you)")
    await expect(rows.first).to_contain_text("Token (API or development)")
    await expect(rows.first).to_contain_text("You are the only coordinator left")
    await expect(rows.first.get_by_role("button")).to_have_count(0)
    await expect(page.locator("#invites-empty")).to_have_text("No invitation yet.")
    await accessible(page, "coordinators, one and no invitation")

    # Checked as it is typed, in the API's words; a half-typed address is not yet a mistake.
    address = page.get_by_label("Email address to invite")
    problem = page.locator("#invite-error")
    await address.press_sequentially("olli@exam")
    await expect(address).not_to_have_attribute("aria-invalid", "true")
    await address.fill("KAISA@example.edu")
    await expect(problem).to_have_text(
        "Kaisa Koordinaattori (kaisa@example.edu) is a coordinator already."
    )
    await expect(address).to_have_attribute("aria-invalid", "true")
    await accessible(page, "coordinators, an address refused as it is typed")
    await address.fill("aino at example")
    await page.get_by_role("button", name="Invite…").click()
    await expect(problem).to_have_text("The address is not an email address.")
    await expect(page.get_by_role("dialog")).to_have_count(0)

    invites = page.locator("#invites tbody tr")
    for invited in ("olli@example.fi", "Aino.Virtanen@Example.fi"):
        await address.fill(invited)
        await page.get_by_role("button", name="Invite…").click()
        folded = invited.lower()
        dialog = page.get_by_role("dialog", name=f"Invite {folded} to coordinate?")
        await expect(dialog).to_contain_text(f"A letter goes to {folded} saying that you invited")
        await accessible(page, "coordinators, the invitation dialog open")
        await dialog.get_by_role("button", name="Send the invitation").click()
        await expect(page.locator(".alert-success").last).to_contain_text(
            f"The invitation is on its way to {folded}."
        )
        await expect(invites.filter(has_text=folded)).to_contain_text("Open: not signed in yet")
    await expect(address).to_have_value("")
    await expect(problem).to_have_text("")
    letters = await outbox(database[1], "coordinator_invite")
    assert sorted(m.to_address for m in letters) == [
        "aino.virtanen@example.fi",
        "olli@example.fi",
    ]
    assert all("Kaisa Koordinaattori has invited you" in m.body_text for m in letters)
    await expect(page.locator("#invites-count")).to_have_text("2 open, 0 accepted")
    await screenshot(page, "console-coordinators")

    # Olli's invitation is revoked; signing in with his address makes nobody a coordinator.
    await (
        invites.filter(has_text="olli@example.fi")
        .get_by_role("button", name="Revoke… the invitation to olli@example.fi")
        .click()
    )
    revoke = page.get_by_role("dialog", name="Revoke the invitation to olli@example.fi?")
    await expect(revoke).to_contain_text("no longer makes anyone a coordinator")
    await revoke.get_by_role("button", name="Revoke the invitation").click()
    await expect(invites).to_have_count(1)
    olli = vouched_for(api, Role.STUDENT, "Olli Opiskelija", "olli@example.fi")
    assert (await api.ok(ROLES, as_=olli))["viewer"]["roles"] == ["STUDENT"]

    # Aino signs in with her address vouched for while the page still shows her invitation open:
    # revoking it now is refused, in the page's banner, and the page shows it accepted.
    aino = vouched_for(api, Role.STUDENT, "Aino Virtanen", "aino.virtanen@example.fi")
    assert (await api.ok(ROLES, as_=aino))["viewer"]["roles"] == ["COORDINATOR", "STUDENT"]
    await invites.first.get_by_role("button", name="Revoke…").click()
    await page.get_by_role("button", name="Revoke the invitation").click()
    await expect(page.locator(".alert-error")).to_contain_text(
        "aino.virtanen@example.fi accepted this invitation on"
    )
    await expect(invites.first).to_contain_text("Accepted")
    await expect(invites.first.get_by_role("button")).to_have_count(0)
    await expect(rows).to_have_count(2)
    await expect(rows.filter(has_text="Aino Virtanen")).to_contain_text("Invited")
    await accessible(page, "coordinators, two, one of them invited")

    # Aino's own console is open when Kaisa removes her: it is signed out at once, and she
    # stays the student she was.
    ainos_page = await pages.open(aino, "/dashboard/coordinators", subscriptions=0)
    await expect(ainos_page.locator("#coordinators tbody tr")).to_have_count(2)
    await (
        rows.filter(has_text="Aino Virtanen")
        .get_by_role("button", name="Remove… Aino Virtanen as a coordinator")
        .click()
    )
    remove = page.get_by_role("dialog", name="Remove Aino Virtanen as a coordinator?")
    await expect(remove).to_contain_text("Aino Virtanen stops being a coordinator at once")
    await expect(remove).to_contain_text("They keep any other role held in Mentori")
    await expect(remove.get_by_role("button", name="Cancel")).to_be_focused()
    await accessible(page, "coordinators, the removal dialog open")
    await remove.get_by_role("button", name="Remove Aino Virtanen").click()
    await expect(page.locator(".alert-success").last).to_contain_text(
        "Aino Virtanen is no longer a coordinator."
    )
    await expect(rows).to_have_count(1)
    await expect(ainos_page.locator("#gate")).to_be_visible()
    await expect(ainos_page.locator("#app")).to_be_hidden()
    assert (await api.ok(ROLES, as_=aino))["viewer"]["roles"] == ["STUDENT"]

    phone = await pages.open(kaisa, "/dashboard/coordinators", viewport=PHONE, subscriptions=0)
    await expect(phone.locator("#coordinators tbody tr")).to_have_count(1)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the coordinators page scrolls sideways on a phone"
    await accessible(phone, "coordinators on a phone")
