"""People, as the identity provider names them: provisioned on first sign-in (federated login)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role, User
from services.viewer import Viewer


async def sign_in(
    session: AsyncSession, *, subject: str, role: Role, name: str, email: str, now: datetime
) -> Viewer:
    """The user behind a verified token: created the first time, kept in step with the
    identity provider (its role, name and email win) afterwards."""
    user = await session.scalar(select(User).where(User.subject == subject))
    if user is None:
        try:
            async with session.begin_nested():
                user = User(subject=subject, role=role, name=name, email=email, created_at=now)
                session.add(user)
        except IntegrityError:  # the same person's first two requests, at once
            user = await session.scalar(select(User).where(User.subject == subject))
            assert user is not None
    if (user.role, user.name, user.email) != (role, name, email):
        user.role, user.name, user.email = role, name, email
    await session.flush()
    return Viewer(user_id=user.id, role=user.role, name=user.name, email=user.email)
