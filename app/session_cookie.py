"""The cookie of a page sign-in (services/sign_in_sessions.py): HttpOnly, SameSite=Lax, Secure
when the server's public URL is https."""

from __future__ import annotations

from starlette.responses import Response

from app.settings import Settings

COOKIE = "mentori_session"


def set_session_cookie(response: Response, settings: Settings, raw: str) -> None:
    response.set_cookie(
        COOKIE,
        raw,
        max_age=int(settings.session_hours * 3600),
        path="/",
        secure=settings.public_url.startswith("https://"),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE,
        path="/",
        secure=settings.public_url.startswith("https://"),
        httponly=True,
        samesite="lax",
    )
