"""The demo's scripted traffic: scenario reads at 10 s, the cooperation request at 15 s (answered at
25 s), and an alert from a random member every 20 s; sent by the caller's producer."""

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


@dataclass
class Script:
    """What the demo sends besides the simulators' hits; ``tick`` once a second with the time elapsed.

    ``plates``: the sample entries' plates (the request asks about the first, alerts name any).
    """

    roles: DemoRoles
    scenes: Scenarios
    plates: list[str]
    label: str
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    alerts: int = 0
    scenario_sent: bool = False
    request: CooperationRequest | None = None
    answered: bool = False

    def tick(self, elapsed: float, producer: Producer | SignedProducer) -> None:
        """Sends what is due at ``elapsed`` seconds since the demo started."""
        if not self.scenario_sent and elapsed >= 10:  # the entries are in force: the operations open
            self.scenario_sent = True
            for region, hit in self.scenes.reads(datetime.now(UTC)):
                producer.produce(DEFAULT.in_hits(region), encode(hit), hit.plate.encode())
            producer.poll(0)
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
