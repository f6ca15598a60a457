"""Prometheus metrics, one registry per app (so several apps in one test process never clash)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from strawberry.extensions import SchemaExtension

from app.auth import bearer


class Metrics:
    """`token`: only its bearer reads /metrics; without one they are `public` or not served."""

    def __init__(self, *, token: str | None = None, public: bool = True) -> None:
        self.token = token
        self.public = public
        self.registry = CollectorRegistry()
        self.operations = Counter(
            "mentori_graphql_operations",
            "GraphQL operations executed, by type and outcome.",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "mentori_graphql_operation_seconds",
            "Time to execute a GraphQL operation.",
            ["type"],
            registry=self.registry,
        )
        self.subscribers = Gauge(
            "mentori_subscribers",
            "Live GraphQL subscriptions in this process.",
            registry=self.registry,
        )
        self.shared_executions = Gauge(
            "mentori_shared_subscription_executions",
            "Executions serving subscribers alike (same document, variables and role).",
            registry=self.registry,
        )

    def extension(self) -> type[SchemaExtension]:
        metrics = self

        class OperationMetrics(SchemaExtension):
            def on_operation(self) -> Iterator[None]:
                started = time.perf_counter()
                yield
                context = self.execution_context
                try:
                    kind = context.operation_type.value
                except RuntimeError:  # the document did not parse: there is no operation
                    kind = "unknown"
                result = context.result
                outcome = (
                    "error" if result is not None and getattr(result, "errors", None) else "ok"
                )
                metrics.operations.labels(kind, outcome).inc()
                metrics.duration.labels(kind).observe(time.perf_counter() - started)

        return OperationMetrics

    async def endpoint(self, request: Request) -> Response:
        if self.token is None and not self.public:
            return PlainTextResponse("Not Found", status_code=404)
        if self.token is not None:
            given = bearer(request.headers.get("authorization")) or ""
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                return PlainTextResponse(
                    "Unauthorized", status_code=401, headers={"www-authenticate": "Bearer"}
                )
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
