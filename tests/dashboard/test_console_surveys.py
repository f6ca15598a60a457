"""The console's surveys, in Chromium: a coordinator writes the halfway check-in, watches the
response rate rise as people answer, reads the results as charts and the written answers
without names, exports them for Excel in Finnish, and is told when questions can no longer
change."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person
from tests.dashboard.conftest import PHONE, Pages, accessible, screenshot

TASKS = "{ mySurveyTasks { survey { id questions { id kind } } matchId answered } }"
ANSWER = """mutation($survey: ID!, $match: ID!, $answers: [SurveyAnswerInput!]!) {
  answerSurvey(surveyId: $survey, matchId: $match, answers: $answers) { id }
}"""


async def answer(api: Api, person: Person, scale: int, text: str) -> None:
    [task] = (await api.ok(TASKS, as_=person))["mySurveyTasks"]
    given = [
        {"questionId": q["id"], "scale": scale}
        if q["kind"] == "SCALE_1_5"
        else {"questionId": q["id"], "text": text}
        for q in task["survey"]["questions"]
    ]
    await api.ok(
        ANSWER,
        {"survey": task["survey"]["id"], "match": task["matchId"], "answers": given},
        as_=person,
    )


@pytest.mark.browser
async def test_a_coordinator_defines_a_survey_and_watches_the_answers_arrive(
    api: Api, pages: Pages, tmp_path: Path
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"))
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    request_id = await f.send(api, student, mentor_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    today = f.today(api)

    page = await pages.open(coordinator, "/dashboard/surveys")
    halfway = page.locator("#survey-HALFWAY")
    await expect(halfway).to_contain_text("Not defined yet")
    await expect(page.locator("#survey-FINAL")).to_contain_text("Not defined yet")
    await accessible(page, "surveys, none defined")

    await halfway.get_by_role("button", name="Define the survey").click()
    dialog = page.get_by_role("dialog", name="Define the halfway check-in")
    await expect(dialog.get_by_label("Title")).to_be_focused()
    await dialog.get_by_label("Title").fill("Halfway: how is it going?")
    await dialog.get_by_label("Opens on").fill(str(today))
    await dialog.get_by_label("Closes on").fill(str(today + timedelta(days=5)))
    await dialog.get_by_label("Question 1", exact=True).fill("How useful are your meetings?")
    await dialog.get_by_role("button", name="Add a question").click()
    await expect(dialog.get_by_label("Question 3", exact=True)).to_be_focused()
    await dialog.get_by_label("Question 3", exact=True).fill("Anything else?")
    await accessible(page, "surveys, the define dialog open")
    # An empty question is refused by the API, in its words.
    await dialog.get_by_label("Question 3", exact=True).fill("")
    await dialog.get_by_role("button", name="Save the survey").click()
    await expect(dialog.locator("#survey-error")).not_to_be_empty()
    await dialog.get_by_role("button", name="Remove question 3").click()
    await dialog.get_by_role("button", name="Save the survey").click()
    await expect(dialog).to_be_hidden()

    await expect(halfway).to_contain_text("Halfway: how is it going?")
    await expect(halfway).to_contain_text("Open:")
    rate = halfway.locator("[data-rate=HALFWAY]")
    await expect(rate).to_contain_text("0% answered: 0 of 2 expected answers")
    await accessible(page, "surveys, defined with no answers")

    # People answer elsewhere; the rate, the chart and the written answers follow.
    await answer(api, student, 5, "My mentor opened doors; thank you!")
    await expect(rate).to_contain_text("50% answered: 1 of 2")
    await answer(api, mentor, 3, "")
    await expect(rate).to_contain_text("100% answered: 2 of 2")
    scale = halfway.locator(".question-result[data-question='1']")
    await expect(scale).to_contain_text("Average 4.0 of 5, from 2 answers")
    chart = scale.get_by_role("img")
    await expect(chart).to_have_attribute(
        "aria-label",
        "How useful are your meetings? Answers: 1: 0, 2: 0, 3: 1, 4: 0, 5: 1. Average 4.0.",
    )
    written = halfway.get_by_role("list", name="Written answers to question 2")
    await expect(written.get_by_role("listitem")).to_have_text(
        ["My mentor opened doors; thank you!"]
    )
    assert "Sami" not in await halfway.inner_text()  # no names beside the answers
    await accessible(page, "surveys, with answers")
    await screenshot(page, "console-surveys")

    # The questions cannot change once answers have arrived.
    await halfway.get_by_role("button", name="Change the survey").click()
    dialog = page.get_by_role("dialog", name="Change the halfway check-in")
    await dialog.get_by_role("button", name="Save the survey").click()
    await expect(dialog.locator("#survey-error")).to_have_text(
        "Answers have arrived already; the questions cannot change."
    )
    await dialog.get_by_role("button", name="Cancel").click()

    await page.get_by_label("CSV columns separated by").select_option(";")
    async with page.expect_download() as download_info:
        await halfway.get_by_role("button", name="Export answers (CSV)").click()
    download = await download_info.value
    path = tmp_path / download.suggested_filename
    await download.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][3:] == [
        "Q1: How useful are your meetings?",
        "Q2: What would make the rest of the programme better?",
    ]
    assert sorted(r[3:] for r in rows[1:]) == [
        ["3", ""],
        ["5", "My mentor opened doors; thank you!"],
    ]

    phone = await pages.open(coordinator, "/dashboard/surveys", viewport=PHONE)
    await expect(phone.locator("[data-rate=HALFWAY]")).to_contain_text("100% answered")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the surveys page scrolls sideways on a phone"
    await accessible(phone, "surveys on a phone")
    await screenshot(phone, "console-surveys-phone")
