"""Delivers the outbox: over SMTP when configured, else into a folder (one file per message).
A row is claimed under a row lock (SKIP LOCKED on PostgreSQL), so two processes never send the
same message; a failure is retried with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.clock import Clock
from app.settings import Settings
from db.models import OutboxMessage, OutboxStatus

log = logging.getLogger("mentori.mail")
MAX_ATTEMPTS = 8
BATCH = 20


def render(message: OutboxMessage, settings: Settings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = (
        f"<mentori-outbox-{message.id}@{settings.mail_from.split('@')[-1].rstrip('>')}>"
    )
    email.set_content(message.body_text.replace("%PUBLIC_URL%", settings.public_url))
    email.add_alternative(
        message.body_html.replace("%PUBLIC_URL%", settings.public_url), subtype="html"
    )
    return email


class Mailer:
    def __init__(
        self, settings: Settings, sessions: async_sessionmaker[AsyncSession], clock: Clock
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mentori-mailer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def poke(self) -> None:
        self.wakeup.set()

    async def _run(self) -> None:
        while True:
            try:
                while await self.deliver_due():
                    pass
            except Exception:
                log.exception("mail delivery round failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self.settings.mail_poll_seconds)
            self.wakeup.clear()

    async def deliver_due(self) -> int:
        """Send what is due; returns how many rows were handled."""
        now = self.clock()
        async with self.sessions() as session:
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(OutboxMessage.id)
                .limit(BATCH)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list(await session.scalars(query))
            for row in rows:
                try:
                    await self._send(row)
                except Exception as error:  # kept for a retry; nothing is lost
                    row.attempts += 1
                    row.last_error = str(error)[:2000]
                    if row.attempts >= MAX_ATTEMPTS:
                        row.status = OutboxStatus.FAILED
                    row.next_attempt_at = now + timedelta(seconds=min(2**row.attempts, 600))
                    log.warning("mail %s to %s failed: %s", row.id, row.to_address, error)
                else:
                    row.status = OutboxStatus.SENT
                    row.attempts += 1
                    row.sent_at = self.clock()
                # Each message's outcome is kept at once, so a crash cannot send it twice.
                await session.commit()
                if session.get_bind().dialect.name == "postgresql":
                    break  # the commit released the other locks; claim again
            return len(rows)

    async def _send(self, row: OutboxMessage) -> None:
        email = render(row, self.settings)
        if self.settings.smtp_host:
            await aiosmtplib.send(
                email,
                hostname=self.settings.smtp_host,
                port=self.settings.smtp_port,
                username=self.settings.smtp_username,
                password=self.settings.smtp_password,
                start_tls=self.settings.smtp_starttls,
                use_tls=self.settings.smtp_tls,
                timeout=20,
            )
            return
        path = Path(self.settings.mail_dir) / f"{row.id:08d}-{row.kind}.eml"
        await asyncio.to_thread(_write, path, bytes(email))
        log.info("mail %s to %s: %s (written to %s)", row.id, row.to_address, row.subject, path)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
