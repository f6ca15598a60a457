"""The outbox sender against a real SMTP server (aiosmtpd on loopback): every message arrives
once, through outages, refusals and two senders at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.mailer import Mailer
from app.settings import Settings
from db.engine import create_engine, create_sessionmaker
from db.models import OutboxMessage, OutboxStatus, Programme
from services import mail
from tests.clock import FakeClock
from tests.conftest import START
from tests.databases import fresh_database
from tests.mail import SmtpSink, self_signed_tls, smtp_sink


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    async with fresh_database(request.param, tmp_path) as found:
        yield found


async def queue_mail(engine: AsyncEngine, count: int, *, to: str = "person{}@example.edu") -> None:
    async with create_sessionmaker(engine)() as session:
        programme = Programme(name="Mentoring 2026", created_at=START, event_seq=0, phases=[])
        session.add(programme)
        await session.flush()
        for n in range(count):
            mail.queue(
                session,
                programme,
                kind="test",
                to=to.format(n),
                user_id=None,
                letter=mail.Letter(
                    subject=f"Message {n}",
                    paragraphs=[f"Hello number {n}."],
                    action=("Open your inbox", mail.MENTOR_PAGE),
                ),
                now=START,
            )
        await session.commit()


async def outbox(engine: AsyncEngine) -> list[OutboxMessage]:
    async with create_sessionmaker(engine)() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def settings_for(url: str, sink: SmtpSink | None = None, **extra: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url,
        "public_url": "https://mentoring.example.edu",
        **(sink.settings() if sink else {}),
        **extra,
    }
    return Settings(**values)  # type: ignore[arg-type]


async def drain(mailer: Mailer) -> None:
    while await mailer.deliver_due():
        pass


def subjects(messages: list[EmailMessage]) -> list[str]:
    return sorted(str(m["Subject"]) for m in messages)


async def test_two_senders_deliver_each_message_exactly_once(
    db: tuple[str, AsyncEngine],
) -> None:
    url, engine = db
    await queue_mail(engine, 120)
    clock = FakeClock(START)
    async with smtp_sink() as sink:
        settings = settings_for(url, sink, mail_batch_size=7)
        engines = [create_engine(url), create_engine(url)]
        try:
            senders = [Mailer(settings, create_sessionmaker(e), clock) for e in engines]
            await asyncio.gather(*(drain(sender) for sender in senders))
        finally:
            for e in engines:
                await e.dispose()
        received = sink.messages()
    assert len(received) == 120
    assert len({m["Message-ID"] for m in received}) == 120
    assert subjects(received) == sorted(f"[Mentoring 2026] Message {n}" for n in range(120))
    rows = await outbox(engine)
    assert all(r.status is OutboxStatus.SENT and r.attempts == 1 for r in rows)
    assert all(r.claim_token is None for r in rows)


async def test_mail_waits_while_the_smtp_server_is_down_and_arrives_once_after(
    db: tuple[str, AsyncEngine],
) -> None:
    url, engine = db
    await queue_mail(engine, 12)
    clock = FakeClock(START)
    sink = SmtpSink()  # not started: connections are refused
    mailer = Mailer(settings_for(url, sink), create_sessionmaker(engine), clock)

    assert await mailer.deliver_due() == 12
    rows = await outbox(engine)
    assert all(r.status is OutboxStatus.PENDING and r.attempts == 1 for r in rows)
    assert all(r.last_error and r.next_attempt_at > START for r in rows)
    assert await mailer.deliver_due() == 0  # backing off: nothing is due yet

    await sink.start()
    try:
        clock.advance(minutes=1)
        await drain(mailer)
        received = sink.messages()
    finally:
        await sink.stop()
    assert subjects(received) == sorted(f"[Mentoring 2026] Message {n}" for n in range(12))
    rows = await outbox(engine)
    assert all(r.status is OutboxStatus.SENT and r.attempts == 2 for r in rows)


async def test_a_temporary_refusal_is_retried_later_and_the_rest_go_now(
    db: tuple[str, AsyncEngine],
) -> None:
    url, engine = db
    await queue_mail(engine, 5)
    clock = FakeClock(START)
    busy = {"person2@example.edu"}

    def refuse(address: str) -> str | None:
        return "451 4.3.0 Try again later" if address in busy else None

    async with smtp_sink(refuse=refuse) as sink:
        mailer = Mailer(settings_for(url, sink), create_sessionmaker(engine), clock)
        await drain(mailer)
        assert len(sink.messages()) == 4
        waiting = [r for r in await outbox(engine) if r.status is OutboxStatus.PENDING]
        assert [r.to_address for r in waiting] == ["person2@example.edu"]
        assert "451" in (waiting[0].last_error or "")

        busy.clear()
        clock.advance(minutes=5)
        await drain(mailer)
        received = sink.messages()
    assert subjects(received) == sorted(f"[Mentoring 2026] Message {n}" for n in range(5))


async def test_a_permanent_refusal_is_not_retried(db: tuple[str, AsyncEngine]) -> None:
    url, engine = db
    await queue_mail(engine, 3)
    clock = FakeClock(START)

    def refuse(address: str) -> str | None:
        return "550 5.1.1 No such mailbox" if address == "person1@example.edu" else None

    async with smtp_sink(refuse=refuse) as sink:
        mailer = Mailer(settings_for(url, sink), create_sessionmaker(engine), clock)
        await drain(mailer)
        clock.advance(days=2)
        await drain(mailer)
        assert len(sink.messages()) == 2
    failed = [r for r in await outbox(engine) if r.status is OutboxStatus.FAILED]
    assert [(r.to_address, r.attempts) for r in failed] == [("person1@example.edu", 1)]
    assert "550" in (failed[0].last_error or "")


async def test_a_message_that_cannot_be_written_fails_alone_at_once(
    db: tuple[str, AsyncEngine],
) -> None:
    """A line break in a header (a name stored before names were checked): that message can
    never be sent, so it fails for good at once, and the rest of its batch is delivered."""
    url, engine = db
    await queue_mail(engine, 3)
    async with engine.begin() as connection:
        await connection.execute(
            update(OutboxMessage)
            .where(OutboxMessage.to_address == "person1@example.edu")
            .values(subject="Request from Eve\nBcc: everyone@example.edu")
        )
    clock = FakeClock(START)
    async with smtp_sink() as sink:
        mailer = Mailer(settings_for(url, sink), create_sessionmaker(engine), clock)
        assert await mailer.deliver_due() == 3  # one batch
        assert subjects(sink.messages()) == [
            "[Mentoring 2026] Message 0",
            "[Mentoring 2026] Message 2",
        ]
        clock.advance(days=2)
        await drain(mailer)  # and it is not tried again
        assert len(sink.messages()) == 2
    rows = {r.to_address: r for r in await outbox(engine)}
    failed = rows["person1@example.edu"]
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 1)
    assert "linefeed" in (failed.last_error or "")
    assert rows["person0@example.edu"].status is OutboxStatus.SENT
    assert rows["person2@example.edu"].status is OutboxStatus.SENT


async def test_starttls_with_credentials_delivers_and_a_wrong_password_waits(
    db: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    url, engine = db
    await queue_mail(engine, 2)
    clock = FakeClock(START)
    tls, certificate = self_signed_tls(tmp_path)
    async with smtp_sink(tls=tls, login=("mentori", "s3cret")) as sink:
        secure = {
            "smtp_starttls": True,
            "smtp_ca_file": str(certificate),
            "smtp_username": "mentori",
        }
        wrong = Mailer(
            settings_for(url, sink, smtp_password="guess", **secure),
            create_sessionmaker(engine),
            clock,
        )
        await drain(wrong)
        assert sink.messages() == []
        assert all(r.status is OutboxStatus.PENDING for r in await outbox(engine))

        right = Mailer(
            settings_for(url, sink, smtp_password="s3cret", **secure),
            create_sessionmaker(engine),
            clock,
        )
        clock.advance(minutes=5)
        await drain(right)
        received = sink.messages()
    assert len(received) == 2
    assert all(r.status is OutboxStatus.SENT for r in await outbox(engine))


async def test_without_smtp_each_message_becomes_one_file(
    db: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    url, engine = db
    await queue_mail(engine, 3)
    folder = tmp_path / "mail"
    mailer = Mailer(
        settings_for(url, mail_dir=str(folder)), create_sessionmaker(engine), FakeClock(START)
    )
    await drain(mailer)
    await drain(mailer)
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 3
    text = files[0].read_text()
    assert "Subject: [Mentoring 2026] Message 0" in text
    assert "text/plain" in text
    assert "text/html" in text
    assert "https://mentoring.example.edu/mentor" in text  # the link, completed at delivery
    assert all(r.status is OutboxStatus.SENT for r in await outbox(engine))


async def test_stopping_lets_the_message_in_hand_finish(db: tuple[str, AsyncEngine]) -> None:
    url, engine = db
    await queue_mail(engine, 30)
    async with smtp_sink() as sink:
        mailer = Mailer(
            settings_for(url, sink, mail_batch_size=30),
            create_sessionmaker(engine),
            FakeClock(START),
        )
        mailer.start()
        await asyncio.sleep(0)  # let it begin
        await mailer.stop()
        sent = len(sink.messages())
    rows = await outbox(engine)
    # Whatever was sent is marked sent; nothing is left claimed, so another process goes on.
    assert sum(r.status is OutboxStatus.SENT for r in rows) == sent
    assert all(r.claim_token is None for r in rows)


async def test_names_in_any_alphabet_arrive_intact(db: tuple[str, AsyncEngine]) -> None:
    url, engine = db
    async with create_sessionmaker(engine)() as session:
        programme = Programme(name="Mentorointi 2026", created_at=START, event_seq=0, phases=[])
        session.add(programme)
        await session.flush()
        letter = mail.Letter(
            subject="Äijä Öljymäki would like you as their mentor — 你好",
            paragraphs=["Hei Åsa, " + "pitkä rivi " * 40],
        )
        mail.queue(
            session, programme, kind="test", to="asa@example.edu", user_id=None, letter=letter,
            now=START,
        )  # fmt: skip
        await session.commit()
    async with smtp_sink() as sink:
        await drain(Mailer(settings_for(url, sink), create_sessionmaker(engine), FakeClock(START)))
        [received] = sink.messages()
    assert received["Subject"] == (
        "[Mentorointi 2026] Äijä Öljymäki would like you as their mentor — 你好"
    )
    plain = received.get_body(("plain",))
    assert plain is not None
    assert "Hei Åsa, pitkä rivi" in plain.get_content()
