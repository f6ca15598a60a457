"""Bearer tokens: verified JWTs from the identity provider (HS256 in development, RS256 with a
key or JWKS in production), and the users they stand for."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from db.models import Role, User
from services.viewer import Viewer


class InvalidToken(Exception):
    """The token is missing a claim, expired, forged, or for someone else."""


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None

    def _key(self, token: str) -> Any:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        if self.settings.jwt_public_key:
            return self.settings.jwt_public_key
        return self.settings.jwt_secret

    def verify(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key(token),
                algorithms=self.settings.jwt_algorithms,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
                leeway=30,
            )
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidToken(str(error)) from error
        if _role(claims) is None:
            raise InvalidToken("the token names no Mentori role")
        return claims


def _role(claims: dict[str, Any]) -> Role | None:
    raw = claims.get("role") or claims.get("roles")
    values = raw if isinstance(raw, list) else [raw]
    for value in values:
        if isinstance(value, str) and value.upper() in Role.__members__:
            return Role(value.upper())
    return None


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def viewer_for(session: AsyncSession, claims: dict[str, Any], *, now: datetime) -> Viewer:
    """The user behind verified claims, provisioned on first sign-in (federated login)."""
    role = _role(claims)
    assert role is not None
    subject = str(claims["sub"])
    name = str(claims.get("name") or subject)
    email = str(claims.get("email") or "")
    user = await session.scalar(select(User).where(User.subject == subject))
    if user is None:
        user = User(subject=subject, role=role, name=name, email=email, created_at=now)
        session.add(user)
        try:
            await session.commit()
        except IntegrityError:  # the same person's first two requests, at once
            await session.rollback()
            user = await session.scalar(select(User).where(User.subject == subject))
            assert user is not None
    elif (user.role, user.name, user.email) != (role, name, email):
        user.role, user.name, user.email = role, name, email
        await session.commit()
    return Viewer(user_id=user.id, role=user.role, name=user.name, email=user.email)


async def authenticate(
    verifier: TokenVerifier,
    sessions: async_sessionmaker[AsyncSession],
    token: str,
    *,
    now: datetime,
) -> tuple[Viewer, datetime]:
    claims = verifier.verify(token)
    async with sessions() as session:
        viewer = await viewer_for(session, claims, now=now)
    return viewer, datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)


def issue_dev_token(
    settings: Settings,
    *,
    subject: str,
    role: Role,
    name: str,
    email: str,
    now: datetime,
    lifetime: timedelta | None = None,
) -> str:
    """A development token signed with the local secret (never used in production)."""
    lifetime = lifetime or timedelta(hours=settings.dev_token_hours)
    claims = {
        "sub": subject,
        "role": role.value,
        "name": name,
        "email": email,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
