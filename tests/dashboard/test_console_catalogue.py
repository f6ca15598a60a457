"""The console's Catalogue section, in Chromium: languages and fields of study added, renamed,
retired and reinstated, and loaded from a CSV file, all or nothing."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import FilePayload, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person
from tests.dashboard.conftest import PHONE, Pages, accessible, screenshot

LANGUAGES = "{ languages { code name } }"
ALL_FIELDS = "{ fields(includeRetired: true) { name school retired } }"


async def offered(api: Api, coordinator: Person) -> set[str]:
    return {lang["code"] for lang in (await api.ok(LANGUAGES, as_=coordinator))["languages"]}


@pytest.mark.browser
async def test_a_coordinator_adds_renames_retires_and_reinstates_entries(
    api: Api, pages: Pages
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    await f.student(api, api.person(Role.STUDENT, "Sami Student"), languages=["fi"])

    tag = uuid.uuid4().hex[:4]  # the catalogue outlives each test
    code, name = f"xq-{tag}", f"Xiqish {tag}"
    page = await pages.open(coordinator, "/dashboard/catalogue")
    finnish = page.locator("#languages tr[data-code=fi]")
    await expect(finnish).to_contain_text("Finnish")
    await expect(finnish.locator("td").nth(1)).to_have_text("1")  # one student looking
    await accessible(page, "catalogue, full lists")

    await page.get_by_label("Code", exact=True).fill(code)
    await page.locator("#language-name").fill(name)
    await page.get_by_role("button", name="Add language").click()
    await expect(page.locator(".alert-success")).to_contain_text(f"{name} ({code}) is offered.")
    row = page.locator(f'#languages tr[data-code="{code}"]')
    await expect(row).to_contain_text(name)

    # The API's refusal, as its sentence.
    await page.get_by_label("Code", exact=True).fill("fi")
    await page.locator("#language-name").fill("Suomi")
    await page.get_by_role("button", name="Add language").click()
    await expect(page.locator("#add-language-error")).to_have_text(
        "The code fi is taken already, by Finnish."
    )
    await accessible(page, "catalogue, a refusal")

    await page.get_by_label("Show languages whose name or code has").fill(tag)
    await expect(page.locator("#languages tbody tr")).to_have_count(1)
    await row.get_by_role("button", name=f"Rename {name} ({code})").click()
    dialog = page.get_by_role("dialog", name=f"Rename {name}")
    await expect(dialog.get_by_label("New name")).to_be_focused()
    await accessible(page, "catalogue, the rename dialog")
    await dialog.get_by_label("New name").fill("Finnish")
    await dialog.get_by_role("button", name="Rename").click()
    await expect(dialog.get_by_role("alert")).to_have_text(
        "The language fi is called 'Finnish' already."
    )
    await dialog.get_by_label("New name").fill(f"Xiq {tag}")
    await page.keyboard.press("Enter")
    await expect(dialog).to_have_count(0)
    await expect(row).to_contain_text(f"Xiq {tag}")

    await row.get_by_role("button", name="Retire").click()
    await expect(row).to_contain_text("Retired")
    assert code not in await offered(api, coordinator)
    await row.get_by_role("button", name="Reinstate").click()
    await expect(row.get_by_role("button", name="Retire")).to_be_visible()
    assert code in await offered(api, coordinator)

    field = f"Marine Studies {tag}"
    await page.get_by_label("Field", exact=True).fill(field)
    await page.get_by_label("School", exact=True).fill("School of the Sea")
    await page.get_by_role("button", name="Add field").click()
    field_row = page.locator("#fields tbody tr", has_text=field)
    await expect(field_row).to_be_visible()
    await field_row.get_by_role("button", name="Rename").click()
    dialog = page.get_by_role("dialog", name=f"Rename or move {field}")
    await dialog.get_by_label("School").fill("School of Science")
    await dialog.get_by_role("button", name="Save").click()
    await expect(page.locator(".alert-success").last).to_contain_text(
        f"{field} (School of Science) is saved."
    )
    await field_row.get_by_role("button", name="Retire").click()
    await expect(field_row).to_contain_text("Retired")
    fields = (await api.ok(ALL_FIELDS, as_=coordinator))["fields"]
    assert {"name": field, "school": "School of Science", "retired": True} in fields
    await screenshot(page, "console-catalogue")

    phone = await pages.open(coordinator, "/dashboard/catalogue", viewport=PHONE)
    await expect(phone.locator(f'#languages tr[data-code="{code}"]')).to_contain_text(f"Xiq {tag}")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the catalogue scrolls sideways on a phone"
    await accessible(phone, "catalogue on a phone")


@pytest.mark.browser
async def test_a_csv_file_loads_whole_or_not_at_all(api: Api, pages: Pages) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    tag = uuid.uuid4().hex[:4]
    page = await pages.open(coordinator, "/dashboard/catalogue")

    # A mistake on line 4: nothing of the file is kept, and the line is named.
    broken = f"code;name\nxa-{tag};Xaish {tag}\n# a note\nnot a code;Bad\n".encode()
    await page.get_by_label("The file lists").select_option("LANGUAGES")
    await page.get_by_label("CSV file (UTF-8; commas or semicolons)").set_input_files(
        files=FilePayload(name="languages.csv", mimeType="text/csv", buffer=broken)
    )
    await page.get_by_role("button", name="Import").click()
    error = page.locator("#import-error")
    await expect(error).to_contain_text(
        "languages.csv: line 4: 'not a code' is not a language code"
    )
    await expect(error).to_contain_text("Nothing was changed.")
    await expect(page.locator(f'#languages tr[data-code="xa-{tag}"]')).to_have_count(0)
    await accessible(page, "catalogue, an import refused")

    good = (
        "\ufeffschool,field\n"
        f"School of the Sea,Lake Studies {tag}\nSchool of the Sea,Ocean Law {tag}\n"
    )
    await page.get_by_label("The file lists").select_option("FIELDS")
    await page.get_by_label("CSV file (UTF-8; commas or semicolons)").set_input_files(
        files=FilePayload(name="fields.csv", mimeType="text/csv", buffer=good.encode())
    )
    await page.get_by_role("button", name="Import").click()
    result = page.locator("#import-result")
    await expect(result).to_contain_text("fields.csv: Fields: 2 added, 0 changed, 0 unchanged.")
    await expect(result).to_contain_text(f"Added field 'Ocean Law {tag}' (School of the Sea)")
    await expect(page.locator("#fields tbody tr", has_text=f"Ocean Law {tag}")).to_be_visible()
    await expect(page.locator("#import-error")).to_be_empty()
    await accessible(page, "catalogue, an import done")
    await screenshot(page, "console-catalogue-import")
