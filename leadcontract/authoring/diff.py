"""A semantic diff of two contract versions: what changed, in words, and whom it breaks.

Two validated contracts are compared as data, not as text: a reordered file, a reformatted
condition or a comment changes nothing; lists of things with ids (stages, scoring rules) are
matched by id; conditions are compared by their canonical text, and a threshold that moved is
named as such (``score >= 60`` → ``score >= 65``).

Each change is classified by whom it binds, because a marketing-sales agreement is a two-party
promise and "breaking" means "one side must agree to it":

- **breaking for marketing**: marketing must deliver more or gets less (a higher MQL bar,
  fewer points, more fields required at handoff, a promise sales made to marketing relaxed);
- **breaking for sales**: sales must do more or earns less (a tighter SLA, more attempts, a
  lower spiff or cap, a longer clawback, an earlier handoff point);
- **breaking for both**: the shape both sides rely on changed (a stage, field type, campaign
  or key removed), and anything the rules below do not recognise, to be safe;
- **neutral**: wording, and additions nobody has to act on (a new campaign, an optional field,
  a higher spiff).

The version bump follows semver as a contract reads it: any breaking change is a major bump,
a neutral addition a minor one, and wording alone a patch.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from leadcontract.durations import Duration
from leadcontract.model import Contract, Team
from leadcontract.rules.conditions import describe, parse_condition

__all__ = ["Change", "ContractDiff", "Impact", "diff_contracts"]

Bump = Literal["major", "minor", "patch"]
_BUMP_ORDER: dict[Bump, int] = {"patch": 0, "minor": 1, "major": 2}


class Impact(StrEnum):
    """Whom a change binds."""

    SALES = "breaking for sales"
    MARKETING = "breaking for marketing"
    BOTH = "breaking for both"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class Change:
    """One semantic change between two contract versions."""

    pointer: str
    """Where in the contract (ids for list members: ``/lead/lifecycle/stages/mql/when``)."""
    summary: str
    impact: Impact
    old: Any = None
    new: Any = None

    @property
    def bump(self) -> Bump:
        if self.impact is not Impact.NEUTRAL:
            return "major"
        return "minor" if self.old is None or self.new is None else "patch"

    def to_dict(self) -> dict[str, Any]:
        return {
            "pointer": self.pointer,
            "summary": self.summary,
            "impact": self.impact.value,
            "bump": self.bump,
            "old": self.old,
            "new": self.new,
        }


@dataclass(frozen=True)
class ContractDiff:
    """Every change, and what they imply for the version."""

    old_version: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def bump(self) -> Bump | None:
        """The largest bump any change implies; ``None`` when nothing changed."""
        if not self.changes:
            return None
        return max((c.bump for c in self.changes), key=_BUMP_ORDER.__getitem__)

    @property
    def suggested_version(self) -> str:
        """The old version bumped as the changes require."""
        core = self.old_version.split("-", 1)[0].split("+", 1)[0]
        major, minor, patch = (int(part) for part in core.split("."))
        if self.bump == "major":
            return f"{major + 1}.0.0"
        if self.bump == "minor":
            return f"{major}.{minor + 1}.0"
        if self.bump == "patch":
            return f"{major}.{minor}.{patch + 1}"
        return self.old_version

    @property
    def version_ok(self) -> bool:
        """Whether the new version is at least the suggested one."""
        return _version_key(self.new_version) >= _version_key(self.suggested_version)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "bump": self.bump,
            "suggested_version": self.suggested_version,
            "version_ok": self.version_ok,
            "changes": [c.to_dict() for c in self.changes],
        }


def _version_key(version: str) -> tuple[int, ...]:
    core = version.split("-", 1)[0].split("+", 1)[0]
    return tuple(int(part) for part in core.split("."))


# --- walking the two versions -------------------------------------------------------------

_ATOMIC_KEYS = frozenset({"when"})
"""Values compared whole (conditions: by canonical text)."""


def _plain(contract: Contract) -> dict[str, Any]:
    """The contract as JSON data, with id-carrying lists turned into mappings by id."""
    data = contract.model_dump(mode="json", by_alias=True)
    result = _by_id(data)
    assert isinstance(result, dict)
    return result


def _by_id(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (v if k in _ATOMIC_KEYS else _by_id(v)) for k, v in value.items()}
    if (
        isinstance(value, list)
        and value
        and all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in value)
    ):
        ids = [item["id"] for item in value]
        if len(set(ids)) == len(ids):
            return {
                item["id"]: _by_id({k: v for k, v in item.items() if k != "id"}) for item in value
            }
    return value


def _walk(old: Any, new: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    """(path, old, new) for every difference; a side is ``None`` where a key is missing."""
    if path and path[-1] in _ATOMIC_KEYS:
        if _condition_text(old) != _condition_text(new):
            yield path, old, new
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            yield from _walk(old.get(key), new.get(key), (*path, key))
        return
    if old != new:
        yield path, old, new


def _condition_text(source: Any) -> str | None:
    if source is None:
        return None
    condition, issues = parse_condition(source)
    if condition is None or issues:
        return json.dumps(source, sort_keys=True)
    return describe(condition)


# --- describing and classifying -----------------------------------------------------------

_NOUNS = {
    "calendars": "calendar",
    "reps": "rep",
    "campaigns": "campaign",
    "slas": "SLA",
    "spiffs": "spiff",
}
_LEAD_NOUNS = {
    ("fields",): "field",
    ("events",): "event type",
    ("scoring", "fit", "rules"): "fit rule",
    ("scoring", "engagement", "rules"): "engagement rule",
    ("lifecycle", "stages"): "stage",
    ("buyer_stages",): "buyer stage",
    ("disqualification", "reasons"): "disqualification reason",
}
_WORDING = frozenset({"description", "title", "play", "name", "label", "email"})


def _subject(path: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """``SLA `first-touch``` and the rest of the path inside it."""
    if path[0] in _NOUNS and len(path) > 1:
        return f"{_NOUNS[path[0]]} `{path[1]}`", path[2:]
    if path[0] == "lead":
        for prefix, noun in _LEAD_NOUNS.items():
            n = len(prefix)
            if path[1 : 1 + n] == prefix and len(path) > 1 + n:
                return f"{noun} `{path[1 + n]}`", path[2 + n :]
    return "`" + ".".join(path[:2]) + "`", path[2:]


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items() if v not in (None, [], {}, ""))
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _summary(path: tuple[str, ...], old: Any, new: Any) -> str:
    subject, inner = _subject(path)
    where = " ".join(part.replace("_", " ") for part in inner)
    label = f"{subject} {where}" if where else subject
    if not inner:
        if old is None:
            return (
                f"{subject} added ({_show(new)})"
                if not isinstance(new, dict)
                else f"{subject} added"
            )
        if new is None:
            return f"{subject} removed"
    if inner and inner[-1] in _ATOMIC_KEYS:
        what = (
            "entry criteria" if subject.startswith("stage ") else where.replace("when", "condition")
        )
        moved = _moved_bounds(old, new)
        if moved:
            return f"{subject} {what}: {moved}"
        before, after = _condition_text(old) or "none", _condition_text(new) or "none"
        return f"{subject} {what}: {before} -> {after}"
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and all(isinstance(v, str) for v in [*old, *new])
    ):
        added = [v for v in new if v not in old]
        removed = [v for v in old if v not in new]
        parts = [
            f"+{', '.join(added)}" if added else "",
            f"-{', '.join(removed)}" if removed else "",
        ]
        text = "; ".join(p for p in parts if p) or "reordered"
        return f"{label}: {text}"
    return f"{label}: {_show(old)} -> {_show(new)}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            try:
                return float(Duration.parse(value).calendar_minutes)
            except ValueError:
                return None
    return None


def _direction(old: Any, new: Any) -> int:
    """+1 when the value grew (or appeared), -1 when it shrank (or went), 0 when unclear."""
    if old is None and new is not None:
        return 1
    if new is None and old is not None:
        return -1
    a, b = _number(old), _number(new)
    if a is None or b is None or a == b:
        return 0
    return 1 if b > a else -1


def _thresholds(old: Any, new: Any) -> int:
    """For an entry condition: +1 if a lower bound rose (harder to meet), -1 if it fell."""
    found = 0
    for a, b in zip(_bounds(old), _bounds(new), strict=False):
        if a[0] == b[0] and a[1] != b[1]:
            found = 1 if b[1] > a[1] else -1
    return found


def _moved_bounds(old: Any, new: Any) -> str | None:
    """``score >= 60 -> 65`` when two conditions differ only in their lower bounds."""
    before, after = _condition_text(old), _condition_text(new)
    if before is None or after is None or _BOUND.sub(r"\1 N", before) != _BOUND.sub(r"\1 N", after):
        return None
    pairs = zip(_BOUND.finditer(before), _BOUND.finditer(after), strict=True)
    moved = [
        f"{before[: a.start()].split()[-1]} {a[1]} {a[2]} -> {b[2]}"
        for a, b in pairs
        if a[2] != b[2]
    ]
    return "; ".join(moved) or None


_BOUND = re.compile(r"(>=|>|<=|<) (-?\d+(?:\.\d+)?)")


def _bounds(source: Any) -> list[tuple[str, float]]:
    """``(field, value)`` of every ``>=``/``>`` leaf, in order."""
    out: list[tuple[str, float]] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, dict) and any(op in value for op in ("gte", "gt")):
                    number = _number(value.get("gte", value.get("gt")))
                    if number is not None:
                        out.append((key, number))
                else:
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, str):
            for part in node.replace(" and ", "\0").replace(" or ", "\0").split("\0"):
                tokens = part.strip(" ()").split()
                if len(tokens) == 3 and tokens[1] in (">=", ">"):
                    number = _number(tokens[2])
                    if number is not None:
                        out.append((tokens[0], number))

    visit(source)
    return out


def _by_direction(grow: Impact, shrink: Impact) -> Callable[[Any, Any], Impact]:
    def decide(old: Any, new: Any) -> Impact:
        step = _direction(old, new)
        if step > 0:
            return grow
        if step < 0:
            return shrink
        return Impact.BOTH

    return decide


def _sla_party(contract: Contract, sla_id: str) -> tuple[Impact, Impact]:
    """(the responsible side, the side the promise serves)."""
    sla = contract.slas.get(sla_id)
    if sla is not None and sla.responsible is Team.MARKETING:
        return Impact.MARKETING, Impact.SALES
    return Impact.SALES, Impact.MARKETING


def _matches(key: str, pattern: str) -> bool:
    """Whether a ``/``-joined path matches a pattern segment by segment (``*`` never spans a
    ``/``)."""
    parts, wanted = key.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(
        fnmatch.fnmatchcase(part, want) for part, want in zip(parts, wanted, strict=True)
    )


def _classify(
    path: tuple[str, ...], old: Any, new: Any, before: Contract, after: Contract
) -> Impact:
    key = "/".join(path)
    last = path[-1]
    if last in _WORDING or last in ("warn_at", "escalate_to", "manager", "owners"):
        return Impact.NEUTRAL
    if path[0] == "waivers":
        return Impact.NEUTRAL  # acknowledged lint findings: no change of meaning
    if path[0] == "metadata":
        return Impact.BOTH if last == "id" else Impact.NEUTRAL
    if path[0] == "slas" and len(path) > 1:
        bound, served = _sla_party(after if path[1] in after.slas else before, path[1])
        if len(path) == 2:
            return bound if new is not None else served
        if last in ("target", "within") or _matches(key, "slas/*/attempts/count"):
            # A shorter target binds the responsible side; a longer one takes from the other.
            step = _direction(old, new)
            if last == "count":
                step = -step
            return bound if step < 0 else served
        return bound
    if path[0] == "spiffs" and len(path) > 1:
        if len(path) == 2:
            return Impact.NEUTRAL if old is None else Impact.SALES
        if last in ("fixed", "per_unit", "share") or _matches(key, "spiffs/*/cap/amount"):
            return Impact.SALES if _direction(old, new) < 0 else Impact.NEUTRAL
        if last == "cap":
            return Impact.SALES if new is not None else Impact.NEUTRAL
        if last == "shadow":
            return Impact.SALES if new else Impact.NEUTRAL
        if "clawback" in path:
            return Impact.SALES if _direction(old, new) > 0 or new is not None else Impact.NEUTRAL
        return Impact.SALES
    if path[0] == "campaigns" and len(path) > 1:
        if len(path) == 2:
            return Impact.NEUTRAL if old is None else Impact.BOTH
        if last == "required_fields":
            return Impact.MARKETING if set(new or ()) - set(old or ()) else Impact.SALES
        if last == "stage" and "handoff" in path:
            order = [s.id for s in after.lead.lifecycle.stages]
            if old in order and new in order:
                return Impact.SALES if order.index(new) < order.index(old) else Impact.MARKETING
            return Impact.BOTH
        if "capacity" in path:
            return Impact.SALES if last == "leads_per_week" else Impact.NEUTRAL
        if "window" in path:
            return Impact.NEUTRAL
        return Impact.BOTH
    if path[0] == "lead":
        return _classify_lead(path[1:], old, new)
    if path[0] == "reps":
        return Impact.NEUTRAL if len(path) > 2 or old is None else Impact.SALES
    if path[0] == "calendars":
        return Impact.NEUTRAL if len(path) == 2 and old is None else Impact.SALES
    return Impact.BOTH


def _classify_lead(path: tuple[str, ...], old: Any, new: Any) -> Impact:
    key = "/".join(path)
    last = path[-1]
    if _matches(key, "fields/*"):
        if old is None:
            required = isinstance(new, dict) and new.get("required")
            return Impact.MARKETING if required else Impact.NEUTRAL
        return Impact.BOTH if new is None else Impact.NEUTRAL
    if _matches(key, "fields/*/*"):
        if last == "required":
            return Impact.MARKETING if new else Impact.NEUTRAL
        if last in ("values", "value_map", "source"):
            return Impact.MARKETING
        return Impact.NEUTRAL if last == "pii" else Impact.BOTH
    if _matches(key, "scoring/*/rules/*") or _matches(key, "scoring/*/rules/*/*"):
        if old is None or new is None:
            points = (new or old or {}).get("points", 0)
            gives = (points > 0) == (new is not None)
            return Impact.SALES if gives else Impact.MARKETING
        if last in ("points", "max_count"):
            return _by_direction(Impact.SALES, Impact.MARKETING)(old, new)
        return Impact.MARKETING
    if _matches(key, "scoring/*/cap"):
        return _by_direction(Impact.SALES, Impact.MARKETING)(old, new)
    if key.startswith("scoring/engagement/decay"):
        return _by_direction(Impact.SALES, Impact.MARKETING)(old, new)
    if _matches(key, "lifecycle/stages/*/when"):
        step = _thresholds(old, new)
        return Impact.MARKETING if step > 0 else (Impact.SALES if step < 0 else Impact.BOTH)
    if _matches(key, "events/*") or key.startswith("buyer_stages"):
        return Impact.NEUTRAL if new is not None else Impact.MARKETING
    if _matches(key, "disqualification/reasons/*"):
        return Impact.NEUTRAL if old is None else Impact.SALES
    if _matches(key, "disqualification/reasons/*/*"):
        if last == "note_required":
            return Impact.SALES if new else Impact.NEUTRAL
        return Impact.MARKETING
    return Impact.BOTH


def diff_contracts(old: Contract, new: Contract) -> ContractDiff:
    """Every semantic change from ``old`` to ``new``, in contract order."""
    changes = [
        Change(
            "/" + "/".join(path),
            _summary(path, before, after),
            _classify(path, before, after, old, new),
            before,
            after,
        )
        for path, before, after in _walk(_plain(old), _plain(new), ())
        if path != ("metadata", "version") and path[0] != "apiVersion"
    ]
    return ContractDiff(old.metadata.version, new.metadata.version, tuple(changes))
