"""The contract's event patterns as a durable_rules ruleset: which events wake a lead up.

The live monitor re-judges a lead with the batch engine whenever something that can change its
verdict happens. Deciding *which* events matter is pattern matching over the event stream, and
that is what durable_rules does: every SLA trigger (start, stop, pause, resume, cancel: event
types, channels, disqualification reasons), every stage's entry events, the events the
contract's conditions and scores read, the handoff and the feedback event become rules of one
ruleset. An event no rule matches (say, a web visit the contract never mentions) is stored but
wakes nobody.

Sharp edges of durable_rules 2.0 handled here:

* it reserves ``id`` and ``sid`` in messages (a rule reading ``id`` hangs the engine), so
  messages carry only prefixed, safe names (``f_type``, ``f_channel``, ``f_reason``, ``f_n``)
  and no contract or CRM field is ever passed through;
* its ``Host`` starts timer threads that run for the life of the process; deadlines here come
  from the contract's business calendars (:mod:`leadcontract.live.scheduler`), never from
  durable_rules timers, so the host used here starts none;
* its hosts and ruleset names are process-global in places, so each :class:`TriggerRules`
  owns its own host and a ruleset name unique in the process;
* an event is consumed by the first rule it matches, so a match names one reason, not all.

Every rule looks at one message and at nothing else (no joins, no state, no timers), so its
answer depends only on the event's type, channel and reason. :class:`TriggerRules` therefore
asks durable_rules once per distinct (type, channel, reason) and remembers the answer: at the
monitor's ingest rate, a post into durable_rules per event costs as much again as storing the
event, while an event stream repeats a few dozen combinations (``remember=False`` asks for
every event; the benchmark measures both).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import durable_rules_engine  # type: ignore[import-not-found]
from durable import engine  # type: ignore[import-untyped]
from durable.lang import m  # type: ignore[import-untyped]

from leadcontract.inputs import Event
from leadcontract.model import ROLE_EVENTS, Contract, Trigger

__all__ = ["Pattern", "TriggerRules", "patterns_of"]

_NAMES = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Pattern:
    """One event pattern: event types, optionally narrowed by channel and reason."""

    name: str
    """Why it matters, e.g. ``sla.first-touch.stop`` or ``stage.sal``."""
    types: tuple[str, ...]
    channels: tuple[str, ...] | None = None
    reasons: tuple[str, ...] | None = None


def patterns_of(contract: Contract, extra_types: Iterable[str] = ()) -> list[Pattern]:
    """Every event pattern of the contract that can change a lead's verdict.

    ``extra_types`` are further event types that matter (those scoring rules and conditions
    read, known only once the contract is compiled).
    """
    found: list[Pattern] = []
    for sla_id, sla in contract.slas.items():
        for name, trigger in sla.triggers():
            found.extend(_trigger_pattern(f"sla.{sla_id}.{name}", trigger))
    for stage in contract.lead.lifecycle.stages:
        if stage.entry_events:
            found.append(Pattern(f"stage.{stage.id}", tuple(stage.entry_events)))
    found.append(Pattern("lifecycle", tuple(sorted(set(ROLE_EVENTS.values())))))
    found.append(Pattern("handoff", ("handoff",)))
    found.append(Pattern("feedback", ("feedback",)))
    found.append(Pattern("attempt", ("touch",)))
    extra = tuple(sorted(set(extra_types)))
    if extra:
        found.append(Pattern("facts", extra))
    return found


def _trigger_pattern(name: str, trigger: Trigger) -> list[Pattern]:
    if not trigger.event:
        return []
    return [
        Pattern(
            name,
            tuple(trigger.event),
            tuple(trigger.channels) if trigger.channels is not None else None,
            tuple(trigger.reasons) if trigger.reasons is not None else None,
        )
    ]


def _any_of(field: str, values: Sequence[str]) -> Any:
    """``field`` equals one of ``values``, as a durable_rules expression."""
    expression: Any = None
    for value in values:
        leaf = getattr(m, field) == value
        expression = leaf if expression is None else expression | leaf
    return expression


class _QuietHost(engine.Host):  # type: ignore[misc]
    """A durable_rules host without its timer threads (no durable_rules timers are used)."""

    def _run(self) -> None:
        return None


class TriggerRules:
    """The contract's event patterns, hosted in a durable_rules engine of their own."""

    def __init__(self, patterns: Sequence[Pattern], *, remember: bool = True) -> None:
        self.patterns = tuple(patterns)
        self.remember = remember
        self.asked = 0
        """How many messages were posted into durable_rules."""
        self._answers: dict[tuple[str, str, str], str | None] = {}
        self.name = f"leadcontract_live_{next(_NAMES)}"
        self._matched: dict[int, str] = {}
        definition: dict[str, Any] = {}
        for index, pattern in enumerate(self.patterns):
            condition = _any_of("f_type", pattern.types)
            if pattern.channels is not None:
                condition = condition & _any_of("f_channel", pattern.channels or ("",))
            if pattern.reasons is not None:
                condition = condition & _any_of("f_reason", pattern.reasons or ("",))
            definition[f"r{index:03d}"] = {
                "all": [{"m": condition.define()}],
                "run": self._action(pattern.name),
            }
        self._host = _QuietHost()
        self._open = bool(definition)
        if definition:
            self._host.register_rulesets({self.name: definition})

    def _action(self, name: str) -> Any:
        def record(c: Any) -> None:
            self._matched[int(c.m.f_n)] = name

        return record

    def match(self, events: Sequence[Event]) -> list[str | None]:
        """For each (coerced) event, the name of the pattern that made it relevant, or None
        when no pattern matches it."""
        if not events or not self.patterns:
            return [None] * len(events)
        keys = [(event.type, event.channel or "", event.reason or "") for event in events]
        if not self.remember:
            return self._ask(keys)
        unknown = list(dict.fromkeys(key for key in keys if key not in self._answers))
        if unknown:
            self._answers.update(zip(unknown, self._ask(unknown), strict=True))
        return [self._answers[key] for key in keys]

    def _ask(self, keys: Sequence[tuple[str, str, str]]) -> list[str | None]:
        """durable_rules' answer for each (type, channel, reason)."""
        self._matched.clear()
        for n, (kind, channel, reason) in enumerate(keys):
            message = {"f_n": n, "f_type": kind, "f_channel": channel, "f_reason": reason}
            # One message per call: a batch in which some messages match nothing raises
            # before any action has run, and would leave the matched ones pending.
            self.asked += 1
            try:
                self._host.post(self.name, message)
            except (engine.MessageNotHandledException, engine.MessageObservedException):
                continue
        found = [self._matched.get(n) for n in range(len(keys))]
        self._matched.clear()
        return found

    def close(self) -> None:
        """Free the engine's ruleset (its memory lives in C, outside Python's collector)."""
        if self._open:
            self._open = False
            durable_rules_engine.delete_ruleset(self._host.get_ruleset(self.name)._handle)
