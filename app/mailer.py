"""Delivers the outbox: over SMTP when configured, else into a folder (one file per message).

Each message is sent once, whatever the number of server processes. A sender claims a batch of
due rows in one short transaction: a conditional UPDATE stamps its claim token and moves the
rows' next_attempt_at forward by a lease (on PostgreSQL the rows are picked with SKIP LOCKED, so
two senders take different rows; SQLite has one writer at a time). It then sends with no
transaction open, and marks a row SENT only while it still holds the claim. Nobody else can
claim the row until the lease runs out, so the only duplicate left is a sender dying between
the SMTP server's acceptance and that mark; the stable Message-ID lets mail systems drop it.
Failures are retried with exponential backoff; a permanent refusal (5xx) is not retried, nor
is a message that cannot be written at all (it fails alone; the rest of the batch goes on)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.background import BackgroundLoop
from app.clock import Clock
from app.settings import Settings
from db.models import OutboxMessage, OutboxStatus
from services import mail

log = logging.getLogger("mentori.mail")
# Python folds a header longer than 78 characters before its first word, which some readers
# show as a leading space; RFC 5322 allows lines of up to 998. 7-bit: any relay takes it.
POLICY = default_policy.clone(max_line_length=998, cte_type="7bit")
WIRE = POLICY.clone(linesep="\r\n")


def render(message: OutboxMessage, settings: Settings) -> EmailMessage:
    domain = settings.mail_from.split("@")[-1].rstrip(">").strip() or "mentori.invalid"
    email = EmailMessage(policy=POLICY)
    email["From"] = settings.mail_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    # The same id on every attempt, so a receiver can drop the one duplicate a crash can cause.
    email["Message-ID"] = f"<mentori-outbox-{message.id}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text.replace("%PUBLIC_URL%", settings.public_url))
    email.add_alternative(
        message.body_html.replace("%PUBLIC_URL%", settings.public_url), subtype="html"
    )
    # Named here: the email package would draw one from the process's shared `random`.
    email.set_boundary(f"mentori-{uuid.uuid4().hex}")
    return email


def is_permanent(error: BaseException) -> bool:
    """The server refused this message for good (5xx): retrying would only repeat it."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in error.recipients)
    return (
        isinstance(error, aiosmtplib.SMTPResponseException)
        and not isinstance(
            error, aiosmtplib.SMTPConnectResponseError | aiosmtplib.SMTPAuthenticationError
        )
        and error.code >= 500
    )


def backoff(settings: Settings, attempts: int) -> timedelta:
    seconds = settings.mail_retry_base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.mail_retry_max_seconds))


class Transport(Protocol):
    async def send(self, row: OutboxMessage, email: EmailMessage) -> None: ...


class SmtpTransport:
    """One SMTP connection for a batch of messages."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sender = parseaddr(settings.mail_from)[1]
        context = ssl.create_default_context(cafile=settings.smtp_ca_file)
        self.client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_tls,
            start_tls=settings.smtp_starttls,
            tls_context=context if settings.smtp_tls or settings.smtp_starttls else None,
            timeout=settings.smtp_timeout_seconds,
        )

    async def send(self, row: OutboxMessage, email: EmailMessage) -> None:
        # Flattened here, with our policy: send_message() would refold the headers.
        await self.client.sendmail(self.sender, [row.to_address], email.as_bytes(policy=WIRE))
        log.info("mail %s to %s sent: %s", row.id, row.to_address, row.subject)


class FolderTransport:
    """The embedded default: each message becomes one .eml file, written whole or not at all."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, row: OutboxMessage, email: EmailMessage) -> None:
        path = self.folder / f"{row.id:08d}-{row.kind}.eml"
        await asyncio.to_thread(_write, path, bytes(email))
        log.info("mail %s to %s: %s (written to %s)", row.id, row.to_address, row.subject, path)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(path)


class Mailer(BackgroundLoop):
    name = "mentori-mailer"

    def __init__(
        self, settings: Settings, sessions: async_sessionmaker[AsyncSession], clock: Clock
    ) -> None:
        super().__init__(
            interval=settings.mail_poll_seconds,
            stop_grace=settings.smtp_timeout_seconds,  # the message being sent is marked
            log=log,
        )
        self.settings = settings
        self.sessions = sessions
        self.clock = clock

    async def work(self) -> None:
        while not self.stopping and await self.deliver_due():
            pass

    async def deliver_due(self) -> int:
        """Claim and deliver one batch of due messages; returns how many were claimed."""
        token = uuid.uuid4().hex
        rows = await self._claim(token, self.clock())
        if rows:
            await self._deliver(rows, token)
        return len(rows)

    async def _claim(self, token: str, now: datetime) -> list[OutboxMessage]:
        lease = now + timedelta(seconds=self.settings.mail_lease_seconds)
        async with self.sessions() as session:
            due = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(OutboxMessage.id)
                .limit(self.settings.mail_batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            claimed = await session.scalars(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(due.scalar_subquery()),
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                )
                .values(claim_token=token, next_attempt_at=lease)
                .returning(OutboxMessage)
                .execution_options(synchronize_session=False)
            )
            rows = sorted(claimed, key=lambda row: row.id)
            await session.commit()
        return rows

    @contextlib.asynccontextmanager
    async def _transport(self) -> AsyncIterator[Transport]:
        if not self.settings.smtp_host:
            yield FolderTransport(Path(self.settings.mail_dir))
            return
        transport = SmtpTransport(self.settings)
        async with transport.client:
            yield transport

    async def _deliver(self, rows: Sequence[OutboxMessage], token: str) -> None:
        handled = 0
        connected = False
        try:
            async with self._transport() as transport:
                connected = True
                for row in rows:
                    if self.stopping:
                        break
                    try:
                        email = render(row, self.settings)
                    except Exception as error:
                        # This message can never be written (say, a line break in a header):
                        # it fails for good, alone; the connection is fine for the rest.
                        kept = await self._failed(row, token, error, permanent=True)
                    else:
                        kept = await self._send(transport, row, email, token)
                    handled += 1
                    if not kept:
                        return  # the rest keep their claim until the lease lapses
        except Exception as error:
            # No connection: every message of the batch waits. A failure mid-batch: that
            # message waits, the rest go back at once (below).
            failed = rows[handled:] if not connected else rows[handled : handled + 1]
            for row in failed:
                await self._failed(row, token, error, permanent=False)
            handled += len(failed)
        # Unsent rows go back at once, for this sender's next batch or another process.
        for row in rows[handled:]:
            await self._mark(row, token, next_attempt_at=self.clock(), count=False)

    async def _send(
        self, transport: Transport, row: OutboxMessage, email: EmailMessage, token: str
    ) -> bool:
        try:
            await transport.send(row, email)
        except Exception as error:
            if not is_permanent(error):
                raise  # the server or the connection is in trouble: stop the batch
            return await self._failed(row, token, error, permanent=True)
        sent: dict[str, Any] = {"status": OutboxStatus.SENT, "sent_at": self.clock()}
        if row.kind in mail.KEY_KINDS:
            sent |= {"body_text": mail.KEY_REMOVED, "body_html": mail.KEY_REMOVED}
        return await self._mark(row, token, **sent)

    async def _failed(
        self, row: OutboxMessage, token: str, error: BaseException, *, permanent: bool
    ) -> bool:
        attempts = row.attempts + 1
        give_up = permanent or attempts >= self.settings.mail_max_attempts
        retry_at = self.clock() + backoff(self.settings, attempts)
        if give_up:
            log.error("mail %s to %s failed for good: %s", row.id, row.to_address, error)
        else:
            log.warning(
                "mail %s to %s failed (attempt %d), retrying at %s: %s",
                row.id,
                row.to_address,
                attempts,
                retry_at.isoformat(),
                error,
            )
        return await self._mark(
            row,
            token,
            status=OutboxStatus.FAILED if give_up else OutboxStatus.PENDING,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            next_attempt_at=retry_at,
        )

    async def _mark(
        self, row: OutboxMessage, token: str, *, count: bool = True, **values: Any
    ) -> bool:
        """Record an outcome, only while this sender still holds the row's claim. Never raises:
        an outcome that cannot be written leaves the row to be retried when its lease lapses."""
        if count:
            values["attempts"] = OutboxMessage.attempts + 1
        try:
            async with self.sessions() as session:
                marked = await session.scalar(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == row.id,
                        OutboxMessage.claim_token == token,
                        OutboxMessage.status == OutboxStatus.PENDING,
                    )
                    .values(claim_token=None, **values)
                    .returning(OutboxMessage.id)
                    .execution_options(synchronize_session=False)
                )
                await session.commit()
        except Exception:
            log.exception("mail %s: could not record the outcome of sending it", row.id)
            return False
        if marked is None:
            log.warning("mail %s: its claim had lapsed when the outcome came in", row.id)
        return marked is not None
