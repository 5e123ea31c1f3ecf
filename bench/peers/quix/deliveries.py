"""The peer's deliveries, pure: one record per (matched entry, recipient) for the recipient's out topic.

Recipients come from the table the benchmark computed with RAX's ``schemas.recipients`` for every
(owner, category, hit region): the owner, the hit's region and subscribers, each only with the
agreements' consent, as the hot path decides them. Unlike the hot path, the peer writes the deliveries
only: no match record on ``rax.matches``, no audit record per decision, no notice to the control inbox,
no redaction of fields an agreement withholds and no sealing (a few records per match; matches are
~0.05 % of the hits).
"""

from __future__ import annotations

from typing import Any

from bench.peers.quix.index import Found


def deliveries(
    hit: dict[str, Any], found: list[Found], recipients: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The delivery records of one new matching hit, each naming its ``recipient``."""
    out = []
    region = hit["region"]
    for f in found:
        e = f.entry
        match = {
            "match_id": f"{hit['event_id']}:{e.entry_id}",
            "entry_id": e.entry_id,
            "owner": e.owner,
            "category": e.category,
            "action": e.action,
            "priority": e.priority,
            "kind": f.kind,
            "score": round(f.score, 3),
            "matched_plate": e.plate,
            "pass_time": hit["pass_time"],
            "hit": hit,
        }
        for recipient in recipients.get(f"{e.owner}|{e.category}|{region}", ()):
            out.append(
                {
                    "delivery_id": f"{match['match_id']}:{recipient}",
                    "kind": "match",
                    "recipient": recipient,
                    "match": match,
                }
            )
    return out
