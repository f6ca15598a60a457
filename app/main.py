"""The composition root: create_app(settings) builds everything; the lifespan owns resources."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from app.auth import TokenVerifier
from app.clock import Clock, system_clock
from app.email_signin import email_sign_in_routes
from app.graphql_view import MentoriGraphQL
from app.headers import SecurityHeaders, page_policy
from app.limits import BodyLimit
from app.mailer import Mailer
from app.metrics import Metrics
from app.pages import page_html
from app.scheduler import Scheduler
from app.schema import build_schema
from app.settings import Settings
from app.signin import signin_routes
from db.engine import create_engine, create_sessionmaker
from live.hub import EventHub
from live.unit_of_work import UnitOfWork
from services import programme_list

log = logging.getLogger("mentori")
READY_WITHIN_SECONDS = 0.8
DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"


# The web pages (static: no build step), each driven by the GraphQL API.
PAGES = {
    "/dashboard": "coordinator.html",
    "/mentor": "mentor.html",
    "/mentor/profile": "mentor-profile.html",
    "/browse": "browse.html",
    "/dashboard/briefings": "console-briefings.html",
    "/dashboard/surveys": "console-surveys.html",
    "/dashboard/quiet": "console-quiet.html",
    "/dashboard/report": "console-report.html",
    "/dashboard/programmes": "console-programmes.html",
    "/dashboard/catalogue": "console-catalogue.html",
    "/dashboard/people": "console-people.html",
    "/dashboard/identity": "console-identity.html",
    "/dashboard/requests": "console-requests.html",
    "/dashboard/coordinators": "console-coordinators.html",
}


def _page(path: Path) -> Callable[[Request], Awaitable[Response]]:
    html = page_html(path)  # put together once, when the app is built, not per request

    async def serve(request: Request) -> Response:
        policy = page_policy(request.headers.get("host", ""))
        return HTMLResponse(html, headers={"content-security-policy": policy})

    return serve


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> Starlette:
    settings = settings or Settings()
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        connect_timeout=settings.db_connect_timeout_seconds,
        statement_timeout=settings.db_statement_timeout_seconds,
    )
    sessions = create_sessionmaker(engine)
    hub = EventHub(settings, sessions)
    hub.watch_programmes(programme_list.of(engine.sync_engine))
    mailer = Mailer(settings, sessions, clock)
    uow = UnitOfWork(sessions, hub, after_commit=mailer.poke)
    scheduler = Scheduler(settings, engine, uow, clock)
    metrics = Metrics(token=settings.metrics_token, public=not settings.production)
    metrics.subscribers.set_function(hub.listener_count)
    schema = build_schema(settings, extra_extensions=[metrics.extension()])
    graphql = MentoriGraphQL(
        schema, settings=settings, uow=uow, hub=hub, clock=clock, verifier=TokenVerifier(settings)
    )
    metrics.shared_executions.set_function(lambda: graphql.shared.stream_count)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        mailer.start()
        if settings.scheduler_enabled:
            scheduler.start()
        if settings.gc_tuned:
            gc.collect()  # start-up's garbage goes now; what it keeps is never scanned again
            gc.freeze()
            _, middle, old = gc.get_threshold()
            gc.set_threshold(settings.gc_young_threshold, middle, old)
        try:
            yield
        finally:
            await scheduler.stop()
            await mailer.stop()
            await graphql.shared.stop()
            await graphql.expiry.stop()
            await hub.stop()
            await engine.dispose()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        try:
            # A load balancer's probe gives up after a second or so: answer before it does.
            async with asyncio.timeout(READY_WITHIN_SECONDS), engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("not ready: %s", str(error) or type(error).__name__)
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        # Without the broker the process still serves: live updates catch up from the event log.
        return JSONResponse({"status": "ready", "database": "up", "broker": hub.broker_state.value})

    async def home(request: Request) -> Response:
        return RedirectResponse("/dashboard")

    routes = [
        Route("/", home),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", health),
        Route("/readyz", ready),
        Route("/metrics", metrics.endpoint),
    ]
    for path, page in PAGES.items():
        routes.append(Route(path, _page(DASHBOARD / page)))
    routes += signin_routes(settings, uow=uow, clock=clock, pages=list(PAGES))
    routes += email_sign_in_routes(settings, uow=uow, clock=clock, pages=list(PAGES))
    routes.append(Mount("/static", StaticFiles(directory=DASHBOARD / "static", check_dir=False)))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)])
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.uow = uow
    app.state.hub = hub
    app.state.mailer = mailer
    app.state.scheduler = scheduler
    app.state.metrics = metrics
    return app
