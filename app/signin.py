"""Sign-in on the pages through the identity provider: OpenID Connect with the token returned in
the URL fragment. The server only sends the browser to the provider; the token comes back in the
fragment (which never reaches the server or its logs), and the callback page keeps it like a
development token, so every request is then checked by the same bearer verification."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from app.settings import Settings

CALLBACK = "/auth/callback"
# Read by the callback page to check that the answer belongs to a sign-in this browser started.
COOKIE = "mentori_signin"
COOKIE_SECONDS = 600


def signin_routes(settings: Settings, *, pages: Sequence[str], callback_page: Path) -> list[Route]:
    """/auth/login, /auth/callback and /auth/config; `pages` are where a sign-in may end (the
    first is the default), so a crafted link cannot send a signed-in person elsewhere."""

    def configured() -> bool:
        return bool(settings.oidc_authorize_url and settings.oidc_client_id)

    async def login(request: Request) -> Response:
        if not configured():
            return JSONResponse(_not_configured(settings), status_code=404)
        next_page = request.query_params.get("next", "")
        if next_page not in pages:
            next_page = pages[0]
        key, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        query = urlencode(
            {
                "response_type": "id_token",
                "client_id": settings.oidc_client_id,
                "redirect_uri": settings.public_url.rstrip("/") + CALLBACK,
                "scope": settings.oidc_scope,
                "nonce": nonce,
                "state": f"{key}:{next_page}",
            }
        )
        separator = "&" if "?" in str(settings.oidc_authorize_url) else "?"
        response = RedirectResponse(f"{settings.oidc_authorize_url}{separator}{query}", 302)
        response.set_cookie(
            COOKIE,
            f"{key}.{nonce}",
            max_age=COOKIE_SECONDS,
            path=CALLBACK,
            secure=settings.public_url.startswith("https://"),
            httponly=False,  # the callback page reads it: the token never reaches the server
            samesite="lax",  # sent on the provider's redirect back (a top-level navigation)
        )
        response.headers["cache-control"] = "no-store"
        return response

    async def callback(request: Request) -> Response:
        return FileResponse(
            callback_page,
            media_type="text/html",
            headers={"cache-control": "no-store", "referrer-policy": "no-referrer"},
        )

    async def config(request: Request) -> Response:
        return JSONResponse(
            {
                "identityProvider": configured(),
                "loginUrl": "/auth/login",
                "development": not settings.production,
            }
        )

    return [
        Route("/auth/login", login),
        Route(CALLBACK, callback),
        Route("/auth/config", config),
    ]


def _not_configured(settings: Settings) -> dict[str, str]:
    message = (
        "Sign-in through the identity provider is not configured on this server: its "
        "administrator sets OIDC_AUTHORIZE_URL and OIDC_CLIENT_ID."
    )
    if not settings.production:
        message += (
            " On a development server, open a link that `make run` prints, or get a token "
            "with `mentori token coordinator` (or mentor, student) and open "
            "/dashboard#token=<token>."
        )
    return {"code": "SIGN_IN_NOT_CONFIGURED", "message": message}
