"""The console's end-of-programme report, in Chromium: the programme in figures, the survey
results and supply against demand, following changes as they happen; it prints without the
nav and the buttons, and its CSV opens in Excel set up for Finnish."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import PHONE, Pages, accessible, screenshot

DEFINE = """mutation($opens: Date!, $closes: Date!) { defineSurvey(input: {
  kind: HALFWAY, title: "Halfway", opensOn: $opens, closesOn: $closes, questions: [
  {kind: SCALE_1_5, prompt: "How useful are your meetings?"},
  {kind: TEXT, prompt: "Anything else?"}]}) { id questions { id } } }"""
MY_MATCHES = "{ myMatches { id } }"
ANSWER = """mutation($survey: ID!, $match: ID!, $answers: [SurveyAnswerInput!]!) {
  answerSurvey(surveyId: $survey, matchId: $match, answers: $answers) { id }
}"""
RECORD = "mutation($m: ID!, $on: Date!) { recordMeeting(matchId: $m, metOn: $on) { id } }"


def figure(page: Page, name: str) -> Locator:
    return page.locator(".report-figures .figure", has=page.locator("dt", has_text=name)).locator(
        "dd"
    )


async def export(page: Page, button: str, tmp_path: Path) -> str:
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name=button).click()
    download = await download_info.value
    path = tmp_path / download.suggested_filename
    await download.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode()), "no byte order mark: Excel would misread ä and ö"
    return raw.decode("utf-8-sig")


@pytest.mark.browser
async def test_the_report_sums_up_the_programme_prints_and_exports(
    api: Api, pages: Pages, tmp_path: Path
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mäkelä"), capacity=2)
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    await f.student(api, api.person(Role.STUDENT, "Ulla Unmatched"), field="Mathematics")
    request_id = await f.send(api, student, mentor_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    today = f.today(api)
    dates = {"opens": str(today + timedelta(days=5)), "closes": str(today + timedelta(days=20))}
    survey = (await api.ok(DEFINE, dates, as_=coordinator))["defineSurvey"]

    page = await pages.open(coordinator, "/dashboard/report")
    await expect(page.locator("#programme-name")).to_have_text("Mentoring 2026")
    await expect(figure(page, "Students taking part")).to_have_text("2")
    await expect(figure(page, "Matches made")).to_have_text("1 (50% of students)")
    await expect(figure(page, "Meetings held")).to_have_text("0")
    await expect(page.locator("#report-surveys")).to_contain_text("0% answered (0 of 2")
    fields = page.locator("#report-fields tbody tr")
    await expect(fields.filter(has_text="Mathematics")).to_contain_text("1")
    await expect(page.locator("#report-fields tr.is-short")).to_contain_text("Mathematics")
    await accessible(page, "the report, early in the programme")

    # The programme goes on elsewhere; the report follows.
    api.server.clock.advance(days=10)
    [match] = (await api.ok(MY_MATCHES, as_=student))["myMatches"]
    await api.ok(RECORD, {"m": match["id"], "on": str(f.today(api))}, as_=student)
    scale_q, text_q = (q["id"] for q in survey["questions"])
    await api.ok(
        ANSWER,
        {
            "survey": survey["id"],
            "match": match["id"],
            "answers": [
                {"questionId": scale_q, "scale": 4},
                {"questionId": text_q, "text": "Hyvä"},
            ],
        },
        as_=student,
    )
    await expect(figure(page, "Meetings held")).to_have_text("1")
    await expect(figure(page, "Pairs that met at least once")).to_have_text("1 of 1")
    await expect(figure(page, "Meetings per pair")).to_have_text("1.0")
    surveys = page.locator("#report-surveys")
    await expect(surveys).to_contain_text("50% answered (1 of 2 expected answers)")
    await expect(surveys.locator("tbody tr")).to_contain_text("4.0")
    await accessible(page, "the report, with meetings and answers")
    await screenshot(page, "console-report")

    # Printed: a document without the nav, the buttons or the export choices.
    await page.emulate_media(media="print")
    for hidden in (".console-nav", "#print", "#export-figures", ".csv-separator"):
        await expect(page.locator(hidden)).to_be_hidden()
    await expect(page.locator("#figures")).to_be_visible()
    await expect(page.locator("#report-fields")).to_be_visible()
    pdf = await page.pdf()
    assert pdf.startswith(b"%PDF")
    await page.emulate_media(media="screen")

    # For Excel in Finnish: semicolons, decimal commas, and a byte order mark.
    await page.get_by_label("CSV columns separated by").select_option(";")
    text = await export(page, "Export figures (CSV)", tmp_path)
    rows = dict(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows["Matches made"] == "1"
    assert rows["Meetings per pair"] == "1,00"
    text = await export(page, "Export supply and demand (CSV)", tmp_path)
    supply = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert {
        "By": "Field",
        "Name": "Mathematics",
        "Mentor places left": "0",
        "Students looking": "1",
    } in supply
    text = await export(page, "Export survey results (CSV)", tmp_path)
    results = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [(r["Prompt"], r["Average"], r["4"]) for r in results] == [
        ("How useful are your meetings?", "4,00", "1"),
        ("Anything else?", "", ""),
    ]
    assert "Sami" not in text
    assert "@" not in text

    phone = await pages.open(coordinator, "/dashboard/report", viewport=PHONE)
    await expect(figure(phone, "Meetings held")).to_have_text("1")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the report scrolls sideways on a phone"
    await accessible(phone, "the report on a phone")
    await screenshot(phone, "console-report-phone")
