"""The evaluator's web views on faust's web server: scorecards as JSON, and ``/metrics``."""

from __future__ import annotations

import time
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from schemas.scorecard import Period, Scorecard
from streams.evaluate.publish import Publisher

__all__ = ["Views"]


class Views:
    """Snapshots of what the publisher last published; ``register`` adds the pages to a faust app."""

    def __init__(self, publisher: Publisher, registry: CollectorRegistry, stall_s: float = 60.0) -> None:
        self.publisher = publisher
        self.registry = registry
        self.stall_s = stall_s
        self.last_pass: float | None = None  # monotonic time of the last publishing pass

    def passed(self) -> None:
        """A publishing pass ran (the app calls this from its timer)."""
        self.last_pass = time.monotonic()

    def healthy(self) -> bool:
        """Publishing passes are still running (none for ``stall_s``: the worker is stuck)."""
        return self.last_pass is not None and time.monotonic() - self.last_pass < self.stall_s

    def current_cards(self) -> list[Scorecard]:
        """The current (latest) scorecard of every region and period."""
        return [self.publisher.cards[k] for k in sorted(self.publisher.latest.values())]

    def index(self) -> bytes:
        """``{"<region>": {"hour": <scorecard>, "day": …, "week": …}}`` of the current scorecards."""
        out: dict[str, dict[str, Any]] = {}
        for card in self.current_cards():
            out.setdefault(card.region, {})[card.period.value] = card.model_dump(mode="json")
        return orjson.dumps(out)

    def one(self, region: str, period: str, start: str | None) -> bytes | None:
        """One scorecard: the current one of ``region`` and ``period``, or the one starting at ``start``."""
        if period not in Period.__members__.values():
            return None
        if start is None:
            card = self.publisher.current(region, Period(period))
            return None if card is None else orjson.dumps(card.model_dump(mode="json"))
        return self.publisher.published.get(f"{region}/{period}/{start}")

    def register(self, app: Any) -> None:
        """Adds ``/scorecards``, ``/scorecards/{region}/{period}``, ``…/{start}``, ``/metrics``,
        ``/health`` (503 once no publishing pass ran for ``stall_s``) and ``/ready`` (after the first)."""
        views = self

        async def scorecards(view: Any, request: Any, **_: Any) -> Any:
            return view.bytes(views.index(), content_type="application/json")

        async def scorecard(view: Any, request: Any, region: str, period: str, **kw: Any) -> Any:
            body = views.one(region, period, kw.get("start"))
            if body is None:
                return view.bytes(
                    b'{"error": "no such scorecard"}', content_type="application/json", status=404
                )
            return view.bytes(body, content_type="application/json")

        async def health(view: Any, request: Any, **_: Any) -> Any:
            ok = views.healthy() or views.last_pass is None
            return view.bytes(
                b"ok" if ok else b"stalled", content_type="text/plain", status=200 if ok else 503
            )

        async def ready(view: Any, request: Any, **_: Any) -> Any:
            ok = views.last_pass is not None
            return view.bytes(
                b"ready" if ok else b"starting", content_type="text/plain", status=200 if ok else 503
            )

        async def metrics(view: Any, request: Any, **_: Any) -> Any:
            # aiohttp takes the charset apart from the content type
            content_type = CONTENT_TYPE_LATEST.split(";")[0]
            return view.bytes(generate_latest(views.registry), content_type=content_type)

        app.page("/scorecards")(scorecards)
        app.page("/scorecards/{region}/{period}")(scorecard)
        app.page("/scorecards/{region}/{period}/{start}")(_renamed(scorecard, "scorecard_at"))
        app.page("/metrics")(metrics)
        app.page("/health")(health)
        app.page("/ready")(ready)


def _renamed(fun: Any, name: str) -> Any:
    """A copy of a handler under another name (faust names a view class after its handler)."""

    async def handler(view: Any, request: Any, **kw: Any) -> Any:
        return await fun(view, request, **kw)

    handler.__name__ = name
    return handler
