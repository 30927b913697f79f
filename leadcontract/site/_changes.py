"""What changed between two versions of an agreement, in sentences for the overview page.

A plain structural comparison section by section (which campaigns, promises, spiffs, stages,
fields... were added, removed or changed); it says *what* changed, and the page links to the
part where the new wording can be read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadcontract.model import Contract

__all__ = ["changes_between"]

_SECTIONS: tuple[tuple[str, str], ...] = (
    ("calendars", "calendar"),
    ("reps", "rep"),
    ("campaigns", "campaign"),
    ("slas", "follow-up promise"),
    ("spiffs", "spiff"),
)


def _by_id(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {str(item.get("id")): item for item in items}


def _compare(kind: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    found = [f"New {kind} `{key}`." for key in new if key not in old]
    found += [f"Removed {kind} `{key}`." for key in old if key not in new]
    found += [f"Changed {kind} `{key}`." for key in new if key in old and old[key] != new[key]]
    return found


def changes_between(previous: Contract, current: Contract) -> list[str]:
    """Sentences naming each added, removed or changed part, in section order."""
    before = previous.model_dump(mode="json")
    after = current.model_dump(mode="json")
    found: list[str] = []
    old_version, new_version = previous.metadata.version, current.metadata.version
    if old_version != new_version:
        found.append(f"Version {old_version} → {new_version}.")
    old_meta, new_meta = before["metadata"], after["metadata"]
    if old_meta["effective"] != new_meta["effective"]:
        found.append("The dates the agreement is in force changed.")
    if old_meta["owners"] != new_meta["owners"]:
        found.append("The owners who sign it changed.")
    old_lead, new_lead = before["lead"], after["lead"]
    found += _compare("lead field", old_lead["fields"], new_lead["fields"])
    for half in ("fit", "engagement"):
        found += _compare(
            f"{half} scoring rule",
            _by_id(old_lead["scoring"][half]["rules"]),
            _by_id(new_lead["scoring"][half]["rules"]),
        )
        for key in ("cap", "decay"):
            if old_lead["scoring"][half].get(key) != new_lead["scoring"][half].get(key):
                found.append(f"The {half} score's {key} changed.")
    found += _compare(
        "lifecycle stage",
        _by_id(old_lead["lifecycle"]["stages"]),
        _by_id(new_lead["lifecycle"]["stages"]),
    )
    found += _compare(
        "disqualification reason",
        old_lead["disqualification"]["reasons"],
        new_lead["disqualification"]["reasons"],
    )
    for section, kind in _SECTIONS:
        found += _compare(kind, before[section], after[section])
    return found
