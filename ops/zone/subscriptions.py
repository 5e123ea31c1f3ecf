"""What a zone's subscriptions ask that no agreement can give: a purpose never listed, no agreement at all."""

from __future__ import annotations

from schemas.sharing import ALL_CATEGORIES, CategorySelector, selects
from schemas.vocab import Category
from schemas.zone import Zone

__all__ = ["subscription_warnings"]


def subscription_warnings(zone: Zone) -> list[str]:
    """One sentence per subscription that cannot work as written (``rax zone check|explain|apply``).

    A subscription only widens who is asked; the disclosure needs an agreement from the entry's owner
    (and, for a match, from the region that read it) to the subscriber. So a subscription no agreement to
    its region covers delivers nothing, and one whose purpose no covering agreement lists is disclosed
    under that agreement's own purpose (``schemas.disclosure``), not the one it states: both are said,
    not refused, since agreements may be added later.
    """
    out = []
    for s in zone.subscriptions:
        covering = [
            a
            for a in zone.agreements
            if a.recipient == s.region and any(selects(a.categories, c) for c in _categories(s.categories))
        ]
        if not covering:
            out.append(
                f"subscription {s.subscription_id}: no agreement to {s.region} covers its categories: "
                "it delivers nothing"
            )
        elif not any(s.purpose in a.purposes for a in covering):
            listed = sorted({p for a in covering for p in a.purposes})
            out.append(
                f"subscription {s.subscription_id}: purpose {s.purpose!r} is listed by no agreement to "
                f"{s.region}; its matches are disclosed under the agreement's purpose "
                f"({', '.join(listed)})"
            )
    return out


def _categories(selectors: tuple[CategorySelector, ...]) -> list[Category]:
    return list(Category) if ALL_CATEGORIES in selectors else [c for c in selectors if c != ALL_CATEGORIES]
