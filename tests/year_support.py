"""Real parts for the programme-year tests: an SMTP server (aiosmtpd) on loopback that can be
stopped and started again, databases of a test's own, waiting for outcomes, a database dump."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import ssl
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from db import demo
from db.engine import create_engine, create_sessionmaker
from db.migrate import upgrade
from db.models import DegreeLevel, Event, Field, OutboxMessage, Phase, Role, User
from services import events, mentors, programmes, requests, students
from services.programmes import Limits, PhaseDates
from services.viewer import Viewer
from tests.support import drop_postgres_database, free_port, fresh_postgres_database, need

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], *, what: str, patience: float = 60.0) -> T:
    """Wait for an outcome (a truthy result), with a generous timeout; never a timed assert."""
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"gave up waiting for {what}; last saw {result!r}")
        await asyncio.sleep(0.05)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self.sink.refuse(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.sink.lock:
            self.sink.received.append(message)
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server on loopback, stopped and started on the same port at will."""

    def __init__(
        self,
        *,
        tls: ssl.SSLContext | None = None,
        login: tuple[str, str] | None = None,
        refuse: Callable[[str], str | None] = lambda address: None,
    ) -> None:
        self.port = free_port()
        self.tls = tls
        self.login = login
        self.refuse = refuse
        self.lock = threading.Lock()
        self.received: list[EmailMessage] = []
        self._controller: Controller | None = None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.login is not None
        ok = ok and (data.login.decode(), data.password.decode()) == self.login
        # handled=False: aiosmtpd answers a refusal itself (535).
        return AuthResult(success=ok, handled=False)

    async def start(self) -> None:
        options: dict[str, Any] = {}
        if self.tls is not None:
            options.update(tls_context=self.tls, require_starttls=True)
        if self.login is not None:
            options.update(auth_required=True, authenticator=self._authenticate)
        controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="mentori-test-smtp",
            **options,
        )
        await asyncio.to_thread(controller.start)
        self._controller = controller

    async def stop(self) -> None:
        if self._controller is not None:
            await asyncio.to_thread(self._controller.stop)
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.received)

    def settings(self) -> dict[str, object]:
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port}


@asynccontextmanager
async def smtp_sink(**options: Any) -> AsyncIterator[SmtpSink]:
    sink = SmtpSink(**options)
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()


def self_signed_tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context and the certificate file a client must trust, for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mentori-test-smtp")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.crt", folder / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path


@asynccontextmanager
async def own_database(kind: str, folder: Path) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A database of the test's own, migrated and with the catalogue, dropped afterwards: no
    other server of the session delivers its mail or runs its periodic tasks."""
    name = f"mentori_year_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    base = None
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder}/{name}.db"
    else:
        base = need("PostgreSQL", "TEST_DATABASE_URL")
        url = await fresh_postgres_database(base, name)
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            await demo.ensure_catalogue(session)
            await session.commit()
        yield url, engine
    finally:
        await engine.dispose()
        if base is not None:
            await drop_postgres_database(base, name)


async def dump(engine: AsyncEngine) -> str:
    """Every value of every column of every table, as text: what a full dump would show."""

    def tables(connection: Any) -> list[str]:
        return sorted(inspect(connection).get_table_names())

    lines = []
    async with engine.connect() as connection:
        for table in await connection.run_sync(tables):
            for row in await connection.execute(text(f'SELECT * FROM "{table}"')):
                lines.append(f"{table}: " + " | ".join(str(value) for value in row))
    return "\n".join(lines)


async def seed_requests(
    engine: AsyncEngine, sent_at: Sequence[datetime], *, name: str = "Mentoring 2026"
) -> list[int]:
    """A programme with one mentor and one student per request, each request sent at the
    given time, written through the services as the API would."""
    sessions = create_sessionmaker(engine)
    first = min(sent_at)
    async with sessions() as session:
        people = [
            User(
                subject=f"seed-{role.value.lower()}-{n}",
                role=role,
                name=f"{role.value.title()} {n}",
                email=f"{role.value.lower()}.{n}@example.edu",
                created_at=first,
            )
            for n in range(len(sent_at))
            for role in (Role.MENTOR, Role.STUDENT)
        ]
        coordinator = User(
            subject="seed-coordinator",
            role=Role.COORDINATOR,
            name="Coordinator",
            email="coordinator@example.edu",
            created_at=first,
        )
        session.add_all([*people, coordinator])
        await session.flush()
        field_id = await session.scalar(select(Field.id).order_by(Field.id).limit(1))
        assert field_id is not None
        day = first.date()
        window = (day - timedelta(days=10), day + timedelta(days=10))
        programme = await programmes.create(
            session,
            _viewer(coordinator),
            name=name,
            phases=[
                PhaseDates(Phase.MENTOR_SIGNUP, *window),
                PhaseDates(Phase.STUDENT_REQUESTS, *window),
            ],
            limits=Limits(),
            now=first,
        )
        ids = []
        for n, at in enumerate(sent_at):
            mentor, student = _viewer(people[2 * n]), _viewer(people[2 * n + 1])
            profile = await mentors.save_profile(
                session,
                mentor,
                programme.id,
                mentors.ProfileInput(
                    working_life_years=10,
                    professional_background="Years of work.",
                    languages=["en"],
                    degree_levels=[DegreeLevel.MASTERS],
                    field_ids=[field_id],
                ),
                create=True,
                now=first,
            )
            await mentors.set_published(session, mentor, programme.id, published=True, now=first)
            await students.save_profile(
                session,
                student,
                programme.id,
                students.StudentInput(degree_level=DegreeLevel.MASTERS),
                now=first,
            )
            request = await requests.send(session, student, profile.id, "Hello!", now=at)
            ids.append(request.id)
        await events.write_pending(session)
        await session.commit()
    return ids


def _viewer(user: User) -> Viewer:
    return Viewer(user_id=user.id, role=user.role, name=user.name, email=user.email)


async def outbox(engine: AsyncEngine, kind: str | None = None) -> list[OutboxMessage]:
    async with create_sessionmaker(engine)() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(await session.scalars(query))


async def logged(engine: AsyncEngine, kind: str) -> list[dict[str, Any]]:
    """The payloads of the event log's events of one kind, in order."""
    async with create_sessionmaker(engine)() as session:
        rows = await session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id))
        return [row.payload for row in rows]
