"""The coordinator's whole programme, in Chromium: a coordinator runs a programme from nothing to
the final report with the console alone (programme and phases, the catalogue from a CSV file,
briefings, surveys, an override, a nudge, the report), then prepares next year's while this
year's runs. Mentors and students act through the API, as their own pages are tested
elsewhere; the fake clock moves the programme from phase to phase."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import uuid
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import FilePayload, Locator, Page, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person, subscriptions
from tests.dashboard.conftest import SUBSCRIPTIONS, Pages, accessible, screenshot
from tests.waiting import eventually

SIGN_UP = "mutation($id: ID!) { signUpForBriefing(briefingId: $id) { signedUpCount } }"
SESSIONS = "{ briefingSessions { id audience } }"
MY_MATCHES = "{ myMatches { id } }"
RECORD = "mutation($m: ID!, $on: Date!) { recordMeeting(matchId: $m, metOn: $on) { id } }"
TASKS = """{ mySurveyTasks { survey { id kind questions { id kind } } matchId answered } }"""
ANSWER = """mutation($survey: ID!, $match: ID!, $answers: [SurveyAnswerInput!]!) {
  answerSurvey(surveyId: $survey, matchId: $match, answers: $answers) { id }
}"""
REQUEST_STATUS = "{ myRequests { status reason mentor { displayName } } }"

# Mentoring 2026, as the coordinator types it: today is 22 Jan 2026 (tests/conftest.py START).
PHASES_2026 = {
    "mentor_signup": ("2026-01-19", "2026-02-08"),
    "student_requests": ("2026-01-20", "2026-02-08"),
    "briefings": ("2026-02-02", "2026-02-13"),
    "programme": ("2026-02-16", "2026-08-14"),
    "halfway_survey": ("2026-05-04", "2026-05-17"),
    "final_survey": ("2026-07-20", "2026-08-02"),
}
PHASES_2027 = {
    "mentor_signup": ("2027-01-11", "2027-02-07"),
    "student_requests": ("2027-01-18", "2027-02-07"),
    "programme": ("2027-02-15", "2027-08-13"),
}


async def section(page: Page, pages: Pages, name: str) -> None:
    """Follow the console's nav to a section, and wait until it shows its data and listens."""
    held = SUBSCRIPTIONS[urlsplit(page.url).path] if await is_live(page) else 0
    await page.locator("#console-nav").get_by_role("link", name=name, exact=True).click()
    await arrived(page, pages, held, name)


async def is_live(page: Page) -> bool:
    return await page.locator("#live-status").get_attribute("data-state") == "live"


async def arrived(page: Page, pages: Pages, held: int, name: str) -> None:
    """The page that replaced one holding `held` subscriptions is the `name` section, loaded and
    live, and the server holds exactly its subscriptions in place of the old page's."""
    await expect(page.locator("#console-nav a[aria-current=page]")).to_have_text(name)
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    await expect(page.locator("main")).to_have_attribute("aria-busy", "false")
    pages.subscriptions += SUBSCRIPTIONS[urlsplit(page.url).path] - held

    async def in_place() -> bool:
        return await subscriptions(pages.api.client) == pages.subscriptions

    await eventually(in_place, what=f"the {name} section to listen")


async def fill_phases(form: Locator, prefix: str, phases: dict[str, tuple[str, str]]) -> None:
    for phase, (opens, closes) in phases.items():
        await form.locator(f"#{prefix}-{phase}-opens").fill(opens)
        await form.locator(f"#{prefix}-{phase}-closes").fill(closes)


async def schedule(page: Page, *, audience: str, starts: str, capacity: str, **where: str) -> None:
    await page.get_by_role("button", name="Schedule a session").click()
    dialog = page.get_by_role("dialog", name="Schedule a briefing session")
    await dialog.get_by_label("For").select_option(label=audience)
    await dialog.get_by_label("Starts").fill(starts)
    await dialog.get_by_label("Capacity (people)").fill(capacity)
    for label, value in where.items():
        await dialog.get_by_label(label).fill(value)
    await dialog.get_by_role("button", name="Schedule").click()
    await expect(dialog).to_be_hidden()


async def answer(api: Api, person: Person, kind: str, scale: int, text: str) -> None:
    """The person answers every open survey of this kind about their matches."""
    tasks = (await api.ok(TASKS, as_=person))["mySurveyTasks"]
    due = [t for t in tasks if t["survey"]["kind"] == kind and not t["answered"]]
    assert due, f"{person.name} has no {kind} survey to answer"
    for task in due:
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


async def match_of(api: Api, person: Person) -> str:
    [match] = (await api.ok(MY_MATCHES, as_=person))["myMatches"]
    match_id: str = match["id"]
    return match_id


def letters(folder: Path, kind: str) -> list[EmailMessage]:
    """The mail delivered so far (the server writes each message to its mail folder)."""
    found = []
    for path in sorted(folder.glob(f"*-{kind}.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


async def delivered(folder: Path, kind: str, count: int) -> list[EmailMessage]:
    async def arrived() -> list[EmailMessage]:
        found = letters(folder, kind)
        return found if len(found) >= count else []

    return await eventually(arrived, what=f"{count} {kind} letters")


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
    return path.read_text(encoding="utf-8-sig")


@pytest.mark.browser
@pytest.mark.slow
async def test_a_coordinator_runs_a_programme_from_nothing_to_the_report_and_the_next_year(
    api: Api, pages: Pages, tmp_path: Path
) -> None:
    coordinator = api.person(Role.COORDINATOR, "Kaisa Koordinaattori")
    mail = Path(api.server.settings.mail_dir)

    # ---- Nothing yet: the overview points to where a programme starts. -----------------------
    page = await pages.open(coordinator, "/dashboard", subscriptions=0)
    await expect(page.locator("#programme-name")).to_have_text("No programme yet")
    await accessible(page, "the overview before any programme")
    await page.get_by_role("link", name="Start the first programme under Programmes").click()
    await expect(page.locator("#create-title")).to_have_text("Start the first programme")
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    await expect(page.locator("main")).to_have_attribute("aria-busy", "false")
    await expect(page.locator("#programme-list")).to_be_hidden()
    await accessible(page, "programmes, before the first")
    await screenshot(page, "whole-programme-01-nothing-yet")

    # ---- The programme, its six phases and its limits. ---------------------------------------
    create = page.locator("#create-form")
    await create.get_by_label("Name").fill("Mentoring 2026")
    await fill_phases(create, "create", PHASES_2026)
    await create.get_by_label("Pending requests per mentor").fill("2")
    await create.get_by_label("Pending requests per student").fill("1")
    await create.get_by_label("A request expires after (hours)").fill("72")
    await create.get_by_label("Remind the mentor (hours before expiry)").fill("24")
    await create.get_by_role("button", name="Create programme").click()
    await arrived(page, pages, 0, "Programmes")
    await expect(page.locator("#programme-name")).to_have_text("Mentoring 2026")
    rows = page.locator("#programme-list tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("19 Jan 2026")
    await expect(rows.first).to_contain_text("Mentor sign-up, Student requests")
    await expect(page.locator("#edit-final_survey-closes")).to_have_value("2026-08-02")
    await accessible(page, "programmes, the first one created")
    await screenshot(page, "whole-programme-02-programme")

    # ---- The catalogue: next to the usual fields, two new ones from a CSV file. --------------
    await section(page, pages, "Catalogue")
    tag = uuid.uuid4().hex[:4]  # the catalogue outlives each test
    ocean, lake = f"Ocean Law {tag}", f"Lake Studies {tag}"
    fields_csv = f"school;field\nSchool of the Sea;{ocean}\nSchool of the Sea;{lake}\n"
    await page.get_by_label("The file lists").select_option("FIELDS")
    await page.get_by_label("CSV file (UTF-8; commas or semicolons)").set_input_files(
        files=FilePayload(name="fields.csv", mimeType="text/csv", buffer=fields_csv.encode())
    )
    await page.get_by_role("button", name="Import").click()
    await expect(page.locator("#import-result")).to_contain_text(
        "fields.csv: Fields: 2 added, 0 changed, 0 unchanged."
    )
    await expect(page.get_by_role("button", name="Import")).to_be_focused()
    ocean_row = page.locator("#fields tbody tr", has_text=ocean)
    await expect(ocean_row).to_be_visible()
    await accessible(page, "catalogue, the CSV loaded")
    await screenshot(page, "whole-programme-03-catalogue")

    # Mentors sign up and students say what they study, in the new field too; the catalogue
    # counts places and students as they arrive.
    maija, maija_id = await f.mentor(
        api, api.person(Role.MENTOR, "Maija Mäkelä"), capacity=2, fields=[ocean]
    )
    kalle, kalle_id = await f.mentor(api, api.person(Role.MENTOR, "Kalle Korhonen"))
    pekka, pekka_id = await f.mentor(api, api.person(Role.MENTOR, "Pekka Peltonen"))
    sami = await f.student(api, api.person(Role.STUDENT, "Sami Saari"), field=ocean)
    liisa = await f.student(api, api.person(Role.STUDENT, "Liisa Laine"))
    eeva = await f.student(api, api.person(Role.STUDENT, "Eeva Esko"))
    await expect(ocean_row.locator("td").nth(0)).to_have_text("2")  # Maija's two places
    await expect(ocean_row.locator("td").nth(1)).to_have_text("1")  # Sami looking

    # ---- Briefings: scheduled, and sign-ups arrive as people make them. ----------------------
    await section(page, pages, "Briefings")
    await expect(page.locator("#sessions-empty")).to_be_visible()
    await accessible(page, "briefings, none yet")
    await schedule(
        page,
        audience="Mentors (online)",
        starts="2026-02-03T17:00",
        capacity="20",
        **{"Online link": "https://meet.example.edu/mentors-2026"},
    )
    await schedule(
        page,
        audience="Students (on campus)",
        starts="2026-02-04T14:00",
        capacity="30",
        Place="Main building, hall 3",
    )
    sessions = page.locator("#sessions tbody tr")
    await expect(sessions).to_have_count(2)
    await expect(page.get_by_role("button", name="Schedule a session")).to_be_focused()
    await accessible(page, "briefings, two sessions")
    briefings = {
        s["audience"]: s["id"]
        for s in (await api.ok(SESSIONS, as_=coordinator))["briefingSessions"]
    }
    for mentor in (maija, kalle, pekka):
        await api.ok(SIGN_UP, {"id": briefings["MENTORS"]}, as_=mentor)
    await expect(sessions.filter(has_text="Mentors (online)")).to_contain_text("3 / 20")
    for student in (sami, liisa, eeva):
        await api.ok(SIGN_UP, {"id": briefings["STUDENTS"]}, as_=student)
    await expect(sessions.filter(has_text="Students (on campus)")).to_contain_text("3 / 30")
    signups = page.locator("#signups tbody tr")
    await expect(signups).to_have_count(6)
    await expect(signups.filter(has_text="Maija Mäkelä")).to_contain_text("Tue 3 Feb, 17:00")
    await accessible(page, "briefings, six signed up")
    await screenshot(page, "whole-programme-04-briefings")

    # ---- Requests: two pairs meet at once; a third request gets stuck. -----------------------
    await api.ok(f.ACCEPT, {"id": await f.send(api, sami, maija_id)}, as_=maija)
    await api.ok(f.ACCEPT, {"id": await f.send(api, liisa, kalle_id)}, as_=kalle)
    await f.send(api, eeva, pekka_id, "Could you mentor me?")
    api.server.clock.advance(hours=50)  # Pekka has not answered in two days

    await section(page, pages, "Requests and matches")
    requests = page.locator("#requests tbody tr")
    await expect(requests).to_have_count(3)
    await page.get_by_label("Status").select_option("PENDING")
    await expect(requests).to_have_count(1)
    stuck = requests.filter(has_text="Eeva Esko")
    await expect(stuck).to_contain_text("Stale")
    await expect(page.locator("#matches tbody tr")).to_have_count(2)
    await accessible(page, "requests, one stuck")
    await stuck.get_by_role("button", name="Step in").click()
    dialog = page.get_by_role("dialog", name="Step in on this request")
    await expect(dialog).to_contain_text("Eeva Esko asked Pekka Peltonen; pending.")
    await dialog.get_by_label("Decline on the mentor's behalf").check()
    reason = "Pekka is away until March; please ask another mentor."
    await dialog.get_by_label("Reason for declining").fill(reason)
    await accessible(page, "requests, stepping in")
    await dialog.get_by_role("button", name="Step in").click()
    await expect(page.locator(".alert-success")).to_contain_text(
        "Eeva Esko's request to Pekka Peltonen is now declined."
    )
    await expect(page.get_by_role("heading", name="Requests, oldest first")).to_be_focused()
    await expect(page.locator("#requests-empty")).to_be_visible()
    mine = (await api.ok(REQUEST_STATUS, as_=eeva))["myRequests"]
    assert mine == [
        {"status": "REJECTED", "reason": reason, "mentor": {"displayName": "Pekka Peltonen"}}
    ]
    [declined] = await delivered(mail, "request_rejected", 1)
    assert declined["To"].addresses[0].addr_spec == eeva.email
    assert reason in declined.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # Eeva, released at once, asks Maija, who accepts; the section follows.
    await api.ok(f.ACCEPT, {"id": await f.send(api, eeva, maija_id)}, as_=maija)
    await expect(page.locator("#matches tbody tr")).to_have_count(3)
    await accessible(page, "requests, three matches")
    await screenshot(page, "whole-programme-05-requests")

    # ---- Surveys: both defined before the programme begins. ----------------------------------
    await section(page, pages, "Surveys")
    for kind, name in (("HALFWAY", "halfway check-in"), ("FINAL", "final feedback")):
        card = page.locator(f"#survey-{kind}")
        await expect(card).to_contain_text("Not defined yet")
        await card.get_by_role("button", name="Define the survey").click()
        dialog = page.get_by_role("dialog", name=f"Define the {name}")
        await expect(dialog.get_by_label("Title")).to_be_focused()
        phase = PHASES_2026[f"{kind.lower()}_survey"]
        await expect(dialog.get_by_label("Opens on")).to_have_value(phase[0])
        await expect(dialog.get_by_label("Closes on")).to_have_value(phase[1])
        await accessible(page, f"surveys, defining the {name}")
        await dialog.get_by_role("button", name="Save the survey").click()
        await expect(dialog).to_be_hidden()
        await expect(card.get_by_role("button", name="Change the survey")).to_be_focused()
        await expect(card.locator(f"[data-rate={kind}]")).to_contain_text(
            "0% answered: 0 of 6 expected answers"
        )
    await accessible(page, "surveys, both defined")

    # ---- Halfway: the pairs meet (or not), and answer; the rate rises as they do. ------------
    api.server.clock.advance(days=101)  # 5 May 2026: the halfway check-in is open
    for person in (sami, liisa):
        await api.ok(RECORD, {"m": await match_of(api, person), "on": "2026-04-28"}, as_=person)
    await page.reload()
    await arrived(page, pages, SUBSCRIPTIONS["/dashboard/surveys"], "Surveys")
    halfway = page.locator("#survey-HALFWAY")
    await expect(halfway).to_contain_text("Open:")
    rate = halfway.locator("[data-rate=HALFWAY]")
    await answer(api, sami, "HALFWAY", 5, "Maija opened doors for me.")
    await expect(rate).to_contain_text("17% answered: 1 of 6")
    await answer(api, maija, "HALFWAY", 4, "")  # about both her mentees
    await expect(rate).to_contain_text("50% answered: 3 of 6")
    await answer(api, liisa, "HALFWAY", 3, "More structure, please.")
    await expect(rate).to_contain_text("67% answered: 4 of 6")
    written = halfway.get_by_role("list", name="Written answers to question 2")
    await expect(written.get_by_role("listitem")).to_have_count(2)
    await accessible(page, "surveys, halfway answers arriving")
    await screenshot(page, "whole-programme-06-halfway")

    # ---- Quiet matches: Maija and Eeva have never met; a nudge reaches them both. ------------
    await section(page, pages, "Quiet matches")
    quiet = page.locator("#quiet tbody tr")
    await expect(quiet).to_have_count(1)
    await expect(quiet).to_contain_text("Maija Mäkelä")
    await expect(quiet).to_contain_text("Eeva Esko")
    await expect(quiet).to_contain_text("Never met")
    await accessible(page, "quiet matches, one pair")
    nudge = quiet.get_by_role("button", name="Nudge Maija Mäkelä and Eeva Esko")
    await nudge.click()
    dialog = page.get_by_role("dialog", name="Remind Maija Mäkelä and Eeva Esko?")
    await expect(dialog.get_by_role("button", name="Send the reminder")).to_be_focused()
    await accessible(page, "quiet matches, the nudge dialog")
    await dialog.get_by_role("button", name="Send the reminder").click()
    await expect(page.locator(".alert-success")).to_contain_text(
        "A reminder is on its way to Maija Mäkelä and Eeva Esko."
    )
    await expect(quiet).to_contain_text("Again from")
    await expect(nudge).to_be_focused()
    nudges = await delivered(mail, "match_nudge", 2)
    assert sorted(n["To"].addresses[0].addr_spec for n in nudges) == sorted(
        [maija.email, eeva.email]
    )
    await accessible(page, "quiet matches, nudged")
    await screenshot(page, "whole-programme-07-quiet")
    # They meet; the pair leaves the list as it is recorded.
    await api.ok(RECORD, {"m": await match_of(api, eeva), "on": "2026-05-05"}, as_=eeva)
    await expect(page.locator("#quiet-empty")).to_be_visible()
    await accessible(page, "quiet matches, none")

    # ---- Final feedback, then the report. ----------------------------------------------------
    api.server.clock.advance(days=77)  # 21 Jul 2026: the final feedback is open
    await section(page, pages, "Surveys")
    final = page.locator("#survey-FINAL")
    await expect(final).to_contain_text("Open:")
    final_rate = final.locator("[data-rate=FINAL]")
    for person, scale in ((sami, 5), (liisa, 4), (eeva, 4), (kalle, 5)):
        await answer(api, person, "FINAL", scale, "")
    await expect(final_rate).to_contain_text("67% answered: 4 of 6")
    await accessible(page, "surveys, final answers arriving")

    await section(page, pages, "Report")
    await expect(figure(page, "Students taking part")).to_have_text("3")
    await expect(figure(page, "Mentors taking part")).to_have_text("3")
    await expect(figure(page, "Matches made")).to_have_text("3 (100% of students)")
    await expect(figure(page, "Requests declined")).to_have_text("1")
    await expect(figure(page, "Meetings held")).to_have_text("3")
    await expect(figure(page, "Pairs reminded to meet")).to_have_text("1")
    await expect(figure(page, "Mentors signed up for a briefing")).to_have_text("3")
    report_surveys = page.locator("#report-surveys")
    await expect(report_surveys.locator("h3")).to_have_text(
        ["Halfway check-in: The halfway check-in", "Final feedback: The final feedback"]
    )
    await expect(report_surveys).to_contain_text("67% answered (4 of 6 expected answers)")
    # The last answer arrives while the report is open.
    await answer(api, maija, "FINAL", 5, "")
    await expect(report_surveys).to_contain_text("100% answered (6 of 6 expected answers)")
    await accessible(page, "the report")
    await screenshot(page, "whole-programme-08-report")

    # Printed: the document without the nav and the buttons.
    await page.emulate_media(media="print")
    await expect(page.locator(".console-nav")).to_be_hidden()
    await expect(page.locator("#print")).to_be_hidden()
    await expect(page.locator("#figures")).to_be_visible()
    await screenshot(page, "whole-programme-09-report-printed")
    assert (await page.pdf()).startswith(b"%PDF")
    await page.emulate_media(media="screen")

    await page.get_by_label("CSV columns separated by").select_option(";")
    exported = dict(
        csv.reader(io.StringIO(await export(page, "Export figures (CSV)", tmp_path)), delimiter=";")
    )
    assert exported["Matches made"] == "3"
    assert exported["Pairs reminded to meet"] == "1"

    # ---- Next year's, prepared while this year's runs; the picker switches between them. -----
    await section(page, pages, "Programmes")
    create = page.locator("#create-form")
    await create.get_by_label("Name").fill("Mentoring 2027")
    await fill_phases(create, "create", PHASES_2027)
    await create.get_by_role("button", name="Create programme").click()
    await expect(page.locator(".alert-success")).to_contain_text("Mentoring 2027 is created.")
    rows = page.locator("#programme-list tbody tr")
    await expect(rows).to_have_count(2)
    await expect(
        rows.filter(has_text="Mentoring 2027").get_by_role("link", name="Dates and limits")
    ).to_be_focused()
    await expect(rows.filter(has_text="Mentoring 2026")).to_contain_text("Programme, Final survey")
    await expect(rows.filter(has_text="Mentoring 2027")).to_contain_text("Opens on 11 Jan 2027")
    await accessible(page, "programmes, next year's created")
    await page.locator("#programme-select").select_option(label="Mentoring 2027")
    await arrived(page, pages, SUBSCRIPTIONS["/dashboard/programmes"], "Programmes")
    await expect(page.locator("#programme-name")).to_have_text("Mentoring 2027")
    await expect(page.locator("#edit-mentor_signup-opens")).to_have_value("2027-01-11")
    await accessible(page, "programmes, next year's shown")
    await screenshot(page, "whole-programme-10-next-year")

    # The nav keeps next year's across sections; this year's runs on untouched.
    await section(page, pages, "Overview")
    await expect(page.locator("#programme-name")).to_have_text("Mentoring 2027")
    await expect(page.locator('[data-stat="matches"]')).to_have_text("0")
    await accessible(page, "the overview of next year's")
    await page.locator("#programme-select").select_option(label="Mentoring 2026")
    await arrived(page, pages, SUBSCRIPTIONS["/dashboard"], "Overview")
    await expect(page.locator("#programme-name")).to_have_text("Mentoring 2026")
    await expect(page.locator('[data-stat="matches"]')).to_have_text("3")
    await accessible(page, "the overview of this year's")
    await screenshot(page, "whole-programme-11-this-year")
