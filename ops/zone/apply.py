"""Applies a zone to a cluster idempotently: missing topics, identities and ACLs, then the zone record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)

from ops.zone.identities import ensure_users
from ops.zone.plan import AclRule, ZonePlan, plan_zone
from ops.zone.subscriptions import subscription_warnings
from ops.zone.zone_topic import read_zones
from schemas.codec import encode
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from schemas.zone import Zone, ZoneObject
from streams.runtime import ClientFactory

_T = TypeVar("_T")

__all__ = ["ApplyReport", "apply_zone"]

log = logging.getLogger(__name__)

_RESOURCES = {
    "topic": ResourceType.TOPIC,
    "group": ResourceType.GROUP,
    "transactional_id": ResourceType.TRANSACTIONAL_ID,
    "cluster": ResourceType.BROKER,
}
_OPERATIONS = {
    "read": AclOperation.READ,
    "write": AclOperation.WRITE,
    "describe": AclOperation.DESCRIBE,
    "create": AclOperation.CREATE,
    "idempotent_write": AclOperation.IDEMPOTENT_WRITE,
    "all": AclOperation.ALL,
}
_PATTERNS = {"literal": ResourcePatternType.LITERAL, "prefixed": ResourcePatternType.PREFIXED}


@dataclass
class ApplyReport:
    """What one `zone apply` changed; all lists empty and ``zone_revision`` unchanged means a no-op."""

    created_topics: list[str] = field(default_factory=list)
    existing_topics: list[str] = field(default_factory=list)
    created_users: list[str] = field(default_factory=list)
    created_acls: int = 0
    zone_published: bool = False
    zone_revision: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created_topics or self.created_users or self.created_acls or self.zone_published)


def _binding(rule: AclRule) -> AclBinding:
    return AclBinding(
        _RESOURCES[rule.resource],
        rule.name,
        _PATTERNS[rule.pattern],
        rule.principal,
        "*",
        _OPERATIONS[rule.operation],
        AclPermissionType.ALLOW,
    )


def _ensure_topics(admin: AdminClient, plan: ZonePlan, replication: int | None, report: ApplyReport) -> None:
    existing = admin.list_topics(timeout=15).topics
    missing = [t for t in plan.topics if t.name not in existing]
    for spec in plan.topics:
        if spec.name in existing:
            report.existing_topics.append(spec.name)
            have = len(existing[spec.name].partitions)
            if have != spec.partitions:
                report.warnings.append(
                    f"{spec.name} has {have} partitions, the zone asks for {spec.partitions} "
                    "(not changed: adding partitions moves keys)"
                )
    if not missing:
        return
    new = [
        NewTopic(t.name, t.partitions, replication if replication is not None else -1, config=t.configs())
        for t in missing
    ]
    for chunk in _chunks(new, lambda t: t.num_partitions + 1 + len(t.config or {})):
        for name, fut in admin.create_topics(chunk, operation_timeout=30).items():
            try:
                fut.result()
                report.created_topics.append(name)
            except KafkaException as exc:
                if exc.args[0].code() != 36:  # TOPIC_ALREADY_EXISTS: another apply raced us, fine
                    raise
    _wait_for_leaders(admin, [t.name for t in missing])


#: metadata records one admin request may ask of the controller: KRaft refuses a request of more than
#: 10,000 (POLICY_VIOLATION "excessively large batch operation"), which a zone of 300 regions exceeds
#: (measured: 2,409 topics); a request is kept well below it
MAX_RECORDS_PER_REQUEST = 2000


def _chunks(items: list[_T], records: Callable[[_T], int]) -> Iterator[list[_T]]:
    """``items`` in order, in requests of at most ``MAX_RECORDS_PER_REQUEST`` metadata records each."""
    chunk: list[_T] = []
    size = 0
    for item in items:
        n = records(item)
        if chunk and size + n > MAX_RECORDS_PER_REQUEST:
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += n
    if chunk:
        yield chunk


def _wait_for_leaders(admin: AdminClient, names: list[str], timeout: float = 30.0) -> None:
    """Returns once every partition of ``names`` has a leader, so the first write to them succeeds."""
    deadline = time.monotonic() + timeout
    pending = set(names)
    while pending and time.monotonic() < deadline:
        topics = admin.list_topics(timeout=10).topics
        pending = {
            n
            for n in pending
            if n not in topics
            or topics[n].error is not None
            or any(p.leader < 0 for p in topics[n].partitions.values())
        }
        if pending:
            time.sleep(0.1)
    if pending:
        raise TimeoutError(
            f"{len(pending)} new topics have no leader after {timeout:.0f} s: {sorted(pending)[:3]}"
        )


def _ensure_acls(admin: AdminClient, plan: ZonePlan, report: ApplyReport) -> None:
    # None matches any name, principal and host (the stubs say str)
    anything: Any = None
    any_filter = AclBindingFilter(
        ResourceType.ANY,
        anything,
        ResourcePatternType.ANY,
        anything,
        anything,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    present = set(admin.describe_acls(any_filter).result())
    missing = [b for b in map(_binding, plan.acls) if b not in present]
    if not missing:
        return
    for chunk in _chunks(missing, lambda _b: 1):
        for fut in admin.create_acls(chunk).values():
            fut.result()
    report.created_acls = len(missing)
    # ACLs reach the brokers' authorizers asynchronously: return once they describe every one, so the
    # identities work at once and a second apply finds nothing missing
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        present = set(admin.describe_acls(any_filter).result())
        if all(b in present for b in missing):
            return
        time.sleep(0.2)
    raise TimeoutError(f"{len(missing)} ACLs created but not visible after 30 s")


def _publish_zone(
    settings: KafkaSettings,
    cat: Catalogue,
    zone: Zone,
    who: str,
    report: ApplyReport,
    latest: ZoneObject | None,
) -> None:
    """Publish ``zone`` as the next revision after ``latest`` (its last record), unless it is unchanged."""
    if latest is not None and latest.zone == zone:
        report.zone_revision = latest.revision
        return
    if latest is not None:
        report.warnings += _dropped(latest.zone, zone)
    obj = ZoneObject(
        revision=(latest.revision + 1) if latest else 1,
        published_at=datetime.now(UTC),
        published_by=who,
        zone=zone,
    )
    producer = ClientFactory(settings, "rax-zone-apply").producer()
    errors: list[object] = []
    producer.produce(
        cat.zone,
        key=obj.key.encode(),
        value=encode(obj),
        on_delivery=lambda err, _msg: errors.append(err) if err else None,
    )
    if producer.flush(30) or errors:
        raise RuntimeError(f"publishing the zone to {cat.zone} failed: {errors or 'timed out'}")
    report.zone_published = True
    report.zone_revision = obj.revision


def _dropped(before: Zone, after: Zone) -> list[str]:
    """What the new revision no longer covers or narrows, for the operator: apply only ever creates."""
    out = []
    gone = sorted(set(before.codes) - set(after.codes))
    if gone:
        out.append(
            f"regions no longer in the zone: {', '.join(gone)}; their topics (and on a secured cluster their "
            "identities and ACLs) are left as they are: remove them by hand once their data is not needed"
        )
    old = {a.agreement_id: a for a in before.agreements}
    new = {a.agreement_id: a for a in after.agreements}
    if removed := sorted(set(old) - set(new)):
        out.append(f"agreements removed: {', '.join(removed)}")
    if changed := sorted(a for a in set(old) & set(new) if old[a] != new[a]):
        out.append(f"agreements changed (in force from this revision): {', '.join(changed)}")
    return out


def _published(admin: AdminClient, settings: KafkaSettings, cat: Catalogue) -> dict[str, ZoneObject]:
    """The zones the namespace's zone topic carries, by name ({} for a new namespace): read once."""
    meta = admin.list_topics(cat.zone, timeout=30).topics.get(cat.zone)
    if meta is None or meta.error is not None:
        return {}
    return read_zones(settings, cat)


def _refuse_another_zone(cat: Catalogue, published: dict[str, ZoneObject], name: str) -> None:
    """Refuse a zone in a namespace that already runs another: the processors follow the newest zone
    record whatever its name, so a second zone would silently replace the first under them."""
    others = sorted(set(published) - {name})
    if others:
        raise ValueError(
            f"namespace {cat.namespace} already runs zone {', '.join(others)}: one namespace runs one zone "
            f"(its processors would switch to {name}); apply {name} in a namespace of its own (--namespace)"
        )


def apply_zone(
    zone: Zone, settings: KafkaSettings, cat: Catalogue, *, secure: bool, credentials: Path | None = None
) -> ApplyReport:
    """Creates what is missing for ``zone``; applying the same zone again changes nothing."""
    plan = plan_zone(zone, cat, secure=secure)
    admin = ClientFactory(settings, "rax-zone-apply").admin()
    published = _published(admin, settings, cat)
    _refuse_another_zone(cat, published, zone.name)  # before anything is created
    report = ApplyReport(warnings=subscription_warnings(zone))
    _ensure_topics(admin, plan, zone.topics.replication_factor, report)
    if secure:
        if credentials is None:
            raise ValueError("a secured cluster needs a credentials file for the identities it creates")
        report.created_users += ensure_users(admin, plan.users, credentials)
        _ensure_acls(admin, plan, report)
    _publish_zone(settings, cat, zone, settings.username or "operator", report, published.get(zone.name))
    log.info("zone %s applied: %s", zone.name, report)
    return report
