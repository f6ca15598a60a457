"""Every page on a phone (390 px wide), in Chromium, measured: the top bar keeps to one line,
every control is at least 24 px each way, and on /browse the first mentor shows without
scrolling past the search form (the filters fold away behind a button)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import PHONE, Pages, accessible, screenshot

pytestmark = pytest.mark.browser

# What can be pressed, as its box on screen: buttons, fields, disclosures, the navigation, and
# the labels that carry a checkbox or a radio (the label is what a finger presses). Links
# inside a sentence are left out, as WCAG 2.5.8 leaves them.
TARGETS = """() => {
  const selector = "button, select, textarea, summary, a.btn, nav a, .brand, "
    + "input:not([type=checkbox]):not([type=radio]):not([type=hidden]), "
    + "label:has(> input[type=checkbox]), label:has(> input[type=radio])";
  return [...document.querySelectorAll(selector)]
    .filter((e) => e.checkVisibility() && !e.closest(".visually-hidden, .skip-link, dialog"))
    .map((e) => {
      const box = e.getBoundingClientRect();
      const name = (e.getAttribute("aria-label") || e.textContent || e.id).trim().slice(0, 40);
      return { name: `${e.tagName.toLowerCase()} ${name}`, width: box.width, height: box.height };
    });
}"""
# The top bar's parts, each as its box: one line means they all share one row.
TOP_BAR = """() => [...document.querySelectorAll(
    ".topbar-inner > *, .topbar-end > *:not([hidden])")]
  .filter((e) => e.checkVisibility())
  .map((e) => { const b = e.getBoundingClientRect(); return [b.top, b.bottom]; })"""


async def measured(page: Page, path: str) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} scrolls sideways on a phone"
    parts: list[list[float]] = await page.evaluate(TOP_BAR)
    assert parts
    lowest_top = max(top for top, _ in parts)
    highest_bottom = min(bottom for _, bottom in parts)
    assert lowest_top < highest_bottom, f"{path}: the top bar wraps: {parts}"
    targets: list[dict[str, Any]] = await page.evaluate(TARGETS)
    small = [t for t in targets if t["width"] < 24 or t["height"] < 24]
    assert targets
    assert small == [], f"{path}: targets under 24 px: {small}"


async def test_every_page_fits_a_phone_and_the_first_mentor_shows_at_once(
    api: Api, pages: Pages
) -> None:
    coordinator = api.person(Role.COORDINATOR, "Coco Coordinator")
    await f.programme(api)
    mentor, mentor_id = await f.mentor(
        api, api.person(Role.MENTOR, "Maija Mentor-Mäkinen"), capacity=2
    )
    await f.mentor(api, api.person(Role.MENTOR, "Bertta Mentor"))
    asker = await f.student(api)
    await f.send(api, asker, mentor_id, "Could you mentor me this spring?")
    student = await f.student(api, api.person(Role.STUDENT, "Kristiina Pelkonen-Väisänen"))

    page = await pages.open(student, "/browse", viewport=PHONE)
    first = page.locator("#results [data-mentor]").first
    await expect(first).to_be_visible()
    # The filters are folded away; the first mentor's name and headline are on screen.
    toggle = page.get_by_role("button", name="Show filters (1 on)")
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await expect(page.get_by_label("Words in the profile")).to_be_hidden()
    box = await first.locator(".headline").bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= PHONE["height"], f"the first mentor is below the fold: {box}"
    await measured(page, "/browse")
    await accessible(page, "/browse on a phone, filters folded")
    await screenshot(page, "phone-browse-first-view")

    # Unfolded, the filters are all there, and fit the phone too.
    await toggle.click()
    await expect(page.get_by_role("button", name="Hide filters (1 on)")).to_have_attribute(
        "aria-expanded", "true"
    )
    await expect(page.get_by_label("Words in the profile")).to_be_visible()
    await measured(page, "/browse with the filters open")
    await accessible(page, "/browse on a phone, filters open")

    for person, path in ((mentor, "/mentor"), (coordinator, "/dashboard")):
        other = await pages.open(person, path, viewport=PHONE)
        await measured(other, path)
        await accessible(other, f"{path} on a phone")
        await screenshot(other, f"phone-{path.strip('/')}-top-bar")
