"""Sign-in by a one-time link in an email, for alumni mentors without any account: asked for on
the page, delivered through a real SMTP server, opened (which uses nothing), and used once by the
page's button, which signs the person in as a mentor."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.session_cookie import COOKIE
from db.engine import create_sessionmaker
from db.models import EmailSignInLink, OutboxMessage, OutboxStatus, SignInSession, User
from tests.clock import FakeClock
from tests.conftest import START, server_settings
from tests.databases import fresh_database, wipe
from tests.mail import SmtpSink, smtp_sink
from tests.servers import Server, free_port, running_server
from tests.waiting import eventually

PER_IP = 6  # this server's sign_in_links_per_ip; per address, the default 3
ADDRESS = "maija.mentor@example.fi"
VIEWER = "{ viewer { role email } }"


@dataclass
class Site:
    server: Server
    engine: AsyncEngine
    sink: SmtpSink

    @property
    def clock(self) -> FakeClock:
        return self.server.clock

    def client(self, *, origin: str | None = None) -> httpx.AsyncClient:
        """A browser on the server's own pages: its POSTs carry their Origin (another one
        when given; none when it is "")."""
        origin = self.server.url if origin is None else origin
        return httpx.AsyncClient(
            base_url=self.server.url, timeout=30, headers={"origin": origin} if origin else {}
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Site]:
    """A server with a database of its own (the suite's shared server would deliver its mail
    too), sending mail to a real SMTP server; its public URL is its own address."""
    folder = tmp_path_factory.mktemp("email-links")
    async with fresh_database(request.param, folder) as (url, engine), smtp_sink() as sink:
        port = free_port()
        settings = server_settings(
            url,
            folder / "mail",
            public_url=f"http://127.0.0.1:{port}",
            sign_in_links_per_ip=PER_IP,
            **sink.settings(),
        )
        async with running_server(settings, FakeClock(START), port=port) as server:
            yield Site(server, engine, sink)


@pytest.fixture
async def site(running: Site) -> Site:
    await wipe(running.engine)
    running.clock.now = START
    with running.sink.lock:
        running.sink.received.clear()
    return running


async def ask(
    site: Site, email: str, next_page: str | None = "/mentor", *, origin: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"email": email}
    if next_page is not None:
        body["next"] = next_page
    async with site.client(origin=origin) as client:
        return await client.post("/auth/email-link", json=body)


async def letters(site: Site, to: str, count: int = 1) -> list[EmailMessage]:
    async def arrived() -> list[EmailMessage] | None:
        found = [m for m in site.sink.messages() if str(m["To"]) == to]
        return found if len(found) >= count else None

    return await eventually(arrived, what=f"{count} letter(s) to {to}", within=30)


def part(letter: EmailMessage, kind: str) -> str:
    body = letter.get_body((kind,))
    assert body is not None
    content: str = body.get_content()
    return content


def link_in(site: Site, letter: EmailMessage) -> str:
    text = part(letter, "plain")
    found = re.search(re.escape(site.server.url) + r"(/auth/email/[A-Za-z0-9_-]+)", text)
    assert found, text
    return found.group(1)


async def a_link(site: Site, email: str = ADDRESS, next_page: str = "/mentor") -> str:
    """The path of a fresh link for the address, as its letter gives it."""
    before = len([m for m in site.sink.messages() if str(m["To"]) == email])
    response = await ask(site, email, next_page)
    assert response.status_code == 202, response.text
    return link_in(site, (await letters(site, email, before + 1))[-1])


async def sessions(site: Site) -> list[SignInSession]:
    async with create_sessionmaker(site.engine)() as session:
        return list(await session.scalars(select(SignInSession)))


async def press(site: Site, path: str, *, origin: str | None = None) -> httpx.Response:
    """The page's button: a form POST to the link's own address."""
    async with site.client(origin=origin) as client:
        return await client.post(path)


def refusal(response: httpx.Response) -> dict[str, Any]:
    (error,) = response.json()["errors"]
    found: dict[str, Any] = error
    return found


async def test_the_link_arrives_by_email(site: Site) -> None:
    response = await ask(site, ADDRESS)
    assert response.status_code == 202
    assert response.json()["sent"] is True
    assert "a link to sign in is on its way" in response.json()["message"]
    [letter] = await letters(site, ADDRESS)
    assert str(letter["Subject"]) == "Your link to sign in to the mentoring programme"
    assert "it works once, within 15 minutes" in part(letter, "plain")
    path = link_in(site, letter)
    assert f'href="{site.server.url}{path}"' in part(letter, "html")
    async with create_sessionmaker(site.engine)() as session:
        [row] = await session.scalars(select(EmailSignInLink))
    token = path.rsplit("/", 1)[1]
    assert row.email == ADDRESS
    assert token not in row.digest  # only its digest is kept
    assert row.expires_at == START.replace(minute=15)

    # Once sent, the letter in the outbox no longer holds the link.
    async def sent() -> list[str] | None:
        async with create_sessionmaker(site.engine)() as session:
            [letter_row] = await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "sign_in_link")
            )
        done = letter_row.status is OutboxStatus.SENT
        return [letter_row.body_text, letter_row.body_html] if done else None

    bodies = await eventually(sent, what="the letter to be marked sent")
    assert not any(token in body for body in bodies)


async def test_opening_the_link_shows_a_button_and_uses_nothing(site: Site) -> None:
    path = await a_link(site)
    async with site.client() as client:
        first = await client.get(path)
        second = await client.get(path)  # a mail scanner's fetch, then the person's
    for page in (first, second):
        assert page.status_code == 200
        assert "Sign in as m…@example.fi" in page.text
        assert f'<form method="post" action="{path}"' in page.text
        assert '<link rel="stylesheet" href="/static/mentori.css" />' in page.text
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "same-origin"
        assert "form-action 'self'" in page.headers["content-security-policy"]
        assert ADDRESS not in page.text
    assert not page.cookies
    assert await sessions(site) == []
    assert (await press(site, path)).status_code == 303


async def test_the_button_signs_the_person_in_as_a_mentor(site: Site) -> None:
    path = await a_link(site, "Maija.Mentor@Example.fi", "/mentor/profile")
    answer = await press(site, path)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/mentor/profile"
    raw = answer.cookies[COOKIE]
    [opened] = await sessions(site)
    assert opened.provider == "email"
    assert opened.expires_at == START.replace(hour=22)  # SESSION_HOURS, 12 by default
    async with create_sessionmaker(site.engine)() as session:
        [user] = await session.scalars(select(User))
    assert (user.subject, user.email, user.name) == (
        "email:maija.mentor@example.fi",
        ADDRESS,
        "maija.mentor",
    )
    async with site.client() as client:
        client.cookies.set(COOKIE, raw)
        response = await client.post("/graphql", json={"query": VIEWER})
    assert response.json() == {"data": {"viewer": {"role": "MENTOR", "email": ADDRESS}}}


async def test_a_link_signs_in_once(site: Site) -> None:
    path = await a_link(site)
    assert (await press(site, path)).status_code == 303
    again = await press(site, path)
    assert again.status_code == 400
    assert "This link was already used" in again.text
    assert 'href="/mentor">Ask for a new sign-in link' in again.text
    async with site.client() as client:
        assert "This link was already used" in (await client.get(path)).text
    assert len(await sessions(site)) == 1


async def test_an_expired_link_is_refused(site: Site) -> None:
    path = await a_link(site)
    site.clock.advance(minutes=15, seconds=1)
    async with site.client() as client:
        shown = await client.get(path)
    used = await press(site, path)
    for page in (shown, used):
        assert page.status_code == 400
        assert "This link expired: links work for 15 minutes." in page.text
        assert 'href="/mentor">Ask for a new sign-in link' in page.text
    assert await sessions(site) == []


@pytest.mark.parametrize(
    "path", ["/auth/email/" + "A" * 43, "/auth/email/short", "/auth/email/%00%27%3Cscript%3E"]
)
async def test_an_unknown_link_is_refused(site: Site, path: str) -> None:
    async with site.client() as client:
        shown = await client.get(path)
    used = await press(site, path)
    for page in (shown, used):
        assert page.status_code == 400
        assert "This sign-in link is not one we know" in page.text
        assert "<script>" not in page.text
    assert await sessions(site) == []


async def test_a_fourth_link_for_one_address_within_the_window_waits(site: Site) -> None:
    for typed in ("Maija.Mentor@Example.fi", ADDRESS, "MAIJA.MENTOR@EXAMPLE.FI"):
        assert (await ask(site, typed)).status_code == 202
        site.clock.advance(minutes=2)
    site.clock.advance(minutes=3)  # 9 minutes after the first
    fourth = await ask(site, ADDRESS)
    assert fourth.status_code == 429
    assert fourth.headers["retry-after"] == "360"
    assert refusal(fourth) == {
        "message": "3 sign-in links were already sent to this address in the last 15 minutes: "
        "try again in 6 minutes.",
        "extensions": {"code": "RATE_LIMITED"},
    }
    assert (await ask(site, "someone.else@example.fi")).status_code == 202
    await letters(site, "someone.else@example.fi")
    sent = [m for m in site.sink.messages() if str(m["To"]).lower() == ADDRESS]
    assert len(sent) == 3
    site.clock.advance(minutes=6)
    assert (await ask(site, ADDRESS)).status_code == 202


async def test_one_network_asks_for_a_limited_number_of_links(site: Site) -> None:
    for n in range(PER_IP):
        assert (await ask(site, f"alumnus.{n}@example.fi")).status_code == 202
    one_more = await ask(site, "one.more@example.fi")
    assert one_more.status_code == 429
    assert one_more.headers["retry-after"] == "900"
    assert refusal(one_more) == {
        "message": f"{PER_IP} sign-in links were already asked for from your network in the last "
        "15 minutes: try again in 15 minutes.",
        "extensions": {"code": "RATE_LIMITED"},
    }
    await letters(site, f"alumnus.{PER_IP - 1}@example.fi")
    assert not [m for m in site.sink.messages() if str(m["To"]) == "one.more@example.fi"]


async def test_a_request_from_another_site_is_refused(site: Site) -> None:
    for origin in ("https://evil.example.com", "null", ""):
        refused = await ask(site, ADDRESS, origin=origin)
        assert refused.status_code == 403
        assert refusal(refused)["extensions"] == {"code": "CSRF_REFUSED"}
    async with create_sessionmaker(site.engine)() as session:
        assert await session.scalar(select(func.count()).select_from(EmailSignInLink)) == 0

    path = await a_link(site)
    pressed = await press(site, path, origin="https://evil.example.com")
    assert pressed.status_code == 403
    assert COOKIE not in pressed.cookies
    assert await sessions(site) == []
    assert (await press(site, path)).status_code == 303  # the link is still good


async def test_the_answer_is_the_same_for_a_new_and_a_known_address(site: Site) -> None:
    assert (await press(site, await a_link(site))).status_code == 303  # now a known mentor
    known = await ask(site, ADDRESS)
    new = await ask(site, "never.seen@example.fi")
    assert (known.status_code, known.json()) == (new.status_code, new.json())
    assert (await letters(site, "never.seen@example.fi"))[0]["Subject"] == (
        (await letters(site, ADDRESS, 2))[1]["Subject"]
    )


@pytest.mark.parametrize("next_page", ["https://evil.example.com/", "//evil.example.com", None])
async def test_a_sign_in_ends_on_a_page_of_this_server(site: Site, next_page: str | None) -> None:
    response = await ask(site, ADDRESS, next_page)
    assert response.status_code == 202
    path = link_in(site, (await letters(site, ADDRESS))[0])
    assert (await press(site, path)).headers["location"] == "/mentor"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"email": "not an address"}, "The address is not an email address."),
        ({"email": "x" * 321}, "The address can be at most 320 characters."),
        ({"mail": ADDRESS}, 'Send a JSON object: {"email": "you@example.com", "next": "/mentor"}.'),
    ],
)
async def test_an_address_that_is_not_one_is_refused(
    site: Site, body: dict[str, str], message: str
) -> None:
    async with site.client() as client:
        response = await client.post("/auth/email-link", json=body)
    assert response.status_code == 400
    assert refusal(response)["message"] == message
    assert refusal(response)["extensions"]["code"] == "INVALID_INPUT"


async def test_two_presses_at_once_open_one_session(site: Site) -> None:
    path = await a_link(site)
    answers = await asyncio.gather(*(press(site, path) for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [303] + [400] * 7
    assert len(await sessions(site)) == 1


async def test_a_server_without_email_sign_in_refuses_it(site: Site, tmp_path: Path) -> None:
    path = await a_link(site)
    settings = site.server.settings.model_copy(
        update={"email_sign_in": False, "mail_dir": str(tmp_path), "smtp_host": None}
    )
    async with (
        running_server(settings, FakeClock(START)) as off,
        httpx.AsyncClient(base_url=off.url, headers={"origin": site.server.url}) as client,
    ):
        asked = await client.post("/auth/email-link", json={"email": ADDRESS})
        pressed = await client.post(path)
    assert asked.status_code == 404
    assert refusal(asked)["extensions"] == {"code": "NOT_FOUND"}
    assert "not offered on this server" in refusal(asked)["message"]
    assert pressed.status_code == 404
    assert await sessions(site) == []
