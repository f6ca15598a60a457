"""The composition root: create_app(settings) builds everything; the lifespan owns resources."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from app.auth import TokenVerifier
from app.clock import Clock, system_clock
from app.events import EventHub
from app.graphql_view import MentoriGraphQL
from app.mailer import Mailer
from app.metrics import Metrics
from app.scheduler import Scheduler
from app.settings import Settings
from app.signin import signin_routes
from app.unit_of_work import UnitOfWork
from db.engine import create_engine, create_sessionmaker
from schema.build import build_schema

log = logging.getLogger("mentori")
DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"


# The web pages (static: no build step), each driven by the GraphQL API.
PAGES = {"/dashboard": "coordinator.html", "/mentor": "mentor.html", "/browse": "browse.html"}


def _page(path: Path) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        return FileResponse(path, media_type="text/html")

    return serve


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> Starlette:
    settings = settings or Settings()
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    sessions = create_sessionmaker(engine)
    hub = EventHub(settings, sessions)
    mailer = Mailer(settings, sessions, clock)
    uow = UnitOfWork(sessions, hub, after_commit=mailer.poke)
    scheduler = Scheduler(settings, engine, uow, clock)
    metrics = Metrics()
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
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("not ready: %s", error)
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
    routes += signin_routes(settings, pages=list(PAGES), callback_page=DASHBOARD / "callback.html")
    routes.append(Mount("/static", StaticFiles(directory=DASHBOARD / "static", check_dir=False)))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.uow = uow
    app.state.hub = hub
    app.state.mailer = mailer
    app.state.scheduler = scheduler
    app.state.metrics = metrics
    return app
