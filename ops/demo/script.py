"""The demo's scripted traffic: scenario reads once the hot path holds the placements (from 10 s, at the
latest at 30 s), the cooperation request at 15 s (answered at 25 s), and an alert from a random member
every 20 s; sent by the caller's producer."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from confluent_kafka import Producer

from ops.demo.escalation import Scenarios
from ops.demo.requests import demo_answers, demo_request
from ops.demo.roles import DemoRoles
from ops.demo.samples import sample_alert
from ops.demo.signed import SignedProducer
from schemas.codec import encode
from schemas.requests import CooperationRequest
from schemas.topics import DEFAULT

__all__ = ["Script"]

_SCENARIO_LATEST_S = 30.0  # send the scenario reads by then even if the hot path holds fewer entries


@dataclass
class Script:
    """What the demo sends besides the simulators' hits; ``tick`` once a second with the time elapsed.

    ``plates``: the sample entries' plates (the request asks about the first, alerts name any);
    ``placements``: how many entries were placed (the scenario reads wait until the hot path holds them:
    a read before its entry is in force matches nothing, and the operation it should open never opens).
    """

    roles: DemoRoles
    scenes: Scenarios
    plates: list[str]
    label: str
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    alerts: int = 0
    request: CooperationRequest | None = None
    answered: bool = False
    placements: int = 0
    scenario_at: float | None = None  # seconds since the start the scenario reads were sent
    scenario_in_force: float = 0.0  # the hot path's entries then

    def tick(self, elapsed: float, producer: Producer | SignedProducer, in_force: float = 0.0) -> None:
        """Sends what is due at ``elapsed`` seconds since the demo started; ``in_force``: the entries the
        hot path holds (its gauge)."""
        due = elapsed >= 10 and (in_force >= self.placements or elapsed >= _SCENARIO_LATEST_S)
        if self.scenario_at is None and due:  # the entries are in force: the operations open
            self.scenario_at, self.scenario_in_force = elapsed, in_force
            for region, hit in self.scenes.reads(datetime.now(UTC)):
                producer.produce(DEFAULT.in_hits(region), encode(hit), hit.plate.encode())
            producer.poll(0)
        self._requests_and_alerts(elapsed, producer)

    def scenario_line(self) -> str:
        """When the scenario reads were sent, and how many of the placements were in force then."""
        if self.scenario_at is None:
            return "scenario reads: not sent"
        return (
            f"scenario reads sent at {self.scenario_at:.0f} s, with {self.scenario_in_force:,.0f} of "
            f"{self.placements} placements in force"
        )

    def _requests_and_alerts(self, elapsed: float, producer: Producer | SignedProducer) -> None:
        if not self.plates:  # no sample entries (--watchlist 0): nothing to ask or alert about
            return
        parties = self.roles.request
        if parties is not None and self.request is None and elapsed >= 15:
            self.request = demo_request(self.plates[0], parties, self.roles.names[parties.partner])
            producer.produce(
                DEFAULT.in_requests(parties.requester), encode(self.request), self.request.request_id.encode()
            )
        if self.request is not None and not self.answered and elapsed >= 25:
            self.answered = True
            for reply in demo_answers(self.request):
                producer.produce(DEFAULT.in_requests(reply.region), encode(reply), reply.request_id.encode())
        if int(elapsed) // 20 > self.alerts:  # an alert every 20 s, from a random member
            self.alerts += 1
            sender = self.rng.choice(sorted(self.roles.names))
            alert = sample_alert(sender, self.alerts, self.rng.choice(self.plates), self.label)
            producer.produce(DEFAULT.in_alerts(sender), encode(alert), alert.identifier.encode())
            producer.poll(0)
