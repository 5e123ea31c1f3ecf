"""The control app's web endpoints: /metrics (Prometheus), /health, /ready, /outcomes, /watchlist/review."""

from __future__ import annotations

from typing import Any

from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams.control.acks.outcomes import DIMENSIONS
from streams.control.common import from_epoch
from streams.control.watchlist.logic import overdue_reviews
from streams.control.worker.runtime import ControlRuntime

__all__ = ["register_views"]


def register_views(rt: ControlRuntime) -> None:
    """Declare the pages on ``rt.app``."""
    app = rt.app

    @app.page("/metrics")
    async def metrics(self: View, request: Request) -> Response:
        body = generate_latest(rt.registry)
        return self.bytes(body, content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/health")
    async def health(self: View, request: Request) -> Response:
        return self.json({"status": "ok", "app": rt.settings.app_id})

    @app.page("/ready")
    async def ready(self: View, request: Request) -> Response:
        reasons = rt.ready()
        body: dict[str, Any] = {
            "ready": not reasons,
            "waiting_for": reasons,
            "zone_revision": rt.zone.revision,
        }
        return self.json(body, status=503 if reasons else 200)

    @app.page("/outcomes")
    async def outcomes(self: View, request: Request) -> Response:
        by = request.query.get("by", "region")
        if by not in DIMENSIONS:
            return self.json({"error": f"by must be one of {list(DIMENSIONS)}"}, status=400)
        return self.json({"by": by, "figures": rt.stats.snapshot(by)})

    @app.page("/watchlist/review")
    async def review(self: View, request: Request) -> Response:
        per_region, ids = overdue_reviews(rt.entries.items(), from_epoch(rt.now_epoch()))
        return self.json({"overdue": dict(per_region), "entries": ids})
