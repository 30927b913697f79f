"""Spiffs: which reps earn which incentive for a lead, how much, and when it is taken back.

:class:`CompiledSpiffs` judges one lead's :class:`~leadcontract.verdict.Verdict` (and the
lead's events) against every spiff of the contract and returns one :class:`SpiffDecision`
per spiff that applies to the lead's campaign, each with the :class:`SpiffLine` s it earned.
Caps are *not* applied here: a cap limits a rep's earnings over a month or a quarter, across
leads, so :mod:`leadcontract.payouts` applies them when it builds statements.

Rules, in the order they are checked (the first that fails is the decision's ``why``):

1. **Campaign.** A spiff applies to leads of its ``campaigns``; spiffs of other campaigns
   get no decision at all.
2. **Outcome.** The lead must have reached the ``outcome`` stage; the *first* time it did
   (in ``verdict.stage.history``) is when the spiff is earned (the line's ``at``).
3. **Effective dating.** The version in force when the lead was *handed off* pays: a spiff
   with ``effective`` pays only when that range contains the handoff date (``verdict.handoff
   .at``, as a calendar day in the contract's time zone). Versions of one incentive are
   written as several spiff ids with consecutive effective ranges; each is judged on its
   own, so exactly one of them can pay. A lead that was never handed off is dated by the
   day it reached the outcome instead. A spiff without ``effective`` is always in force.
4. **SLAs.** Every SLA in ``requires_slas`` must be ``met`` in ``verdict.slas`` (any other
   status - breached, pending, not applicable... - or a missing clock makes it ineligible).
5. **Handoff.** ``requires_handoff_complete`` needs ``verdict.handoff.complete`` (handed
   off with every required field filled).
6. **Condition.** ``when`` is evaluated over the SPIFF scope: the lead's fields (the record
   passed to :meth:`CompiledSpiffs.judge`), ``score``/``fit_score``/``engagement_score``
   and ``stage`` as of the verdict, ``events.<type>`` counts of the events given, and the
   deal. Each ``deal`` fact comes from the latest ``opportunity`` or ``won`` event *up to
   the outcome* that carries it: ``deal.amount``, ``deal.product``, ``deal.seats``;
   ``deal.close_date`` is the date (contract zone) of the latest ``won`` event up to the
   outcome. A deal fact that is not known is *not set* (so ``deal.amount >= 10000`` is
   false).
7. **Amount** (exactly one kind; computed unrounded):

   * ``fixed``: the amount.
   * ``per_unit`` × the ``unit`` value: a deal fact (``deal.seats``, ``deal.amount``) or a
     lead field. Not set → not eligible.
   * ``share`` × ``deal.amount``. No deal amount → not eligible.
   * ``tiers`` over ``deal.amount``; band *i* runs from the previous band's ``up_to``
     (0 for the first) to its own ``up_to`` (open for the last). ``tier_mode: band`` pays
     each band's share on the part of the deal inside that band (80,000 with 50k@1% /
     rest@2% = 500 + 600 = 1,100); ``tier_mode: whole`` pays the share of the band the deal
     falls in (the first band whose ``up_to`` is >= the deal) on the whole deal
     (80,000 → 2% = 1,600).

8. **Earners.** ``earner: owner`` (the default) without ``split``: the lead's owner gets the
   whole amount. ``earner: <role>`` without ``split`` is a split of one role with share 1.
   With ``split``, each role's rep is the actor of the latest event up to the outcome whose
   actor is a rep with that role in ``contract.reps``; failing that the lead's owner when the
   owner has that role; failing that nobody: the line is still listed with ``rep`` None
   (unassigned), so the money is visible.
9. **Rounding.** Money is Decimal throughout and rounded to cents (two places) with
   ROUND_HALF_EVEN only at the end, after the split: the unsplit amount is rounded, each
   role's part is rounded, and whatever the parts miss or exceed (the remainder) is added
   to the *first* split role, so the lines always add up exactly to the rounded unsplit
   amount (100.00 split in thirds: 33.34 / 33.33 / 33.33). Every currency is taken to
   have cents.
10. **Clawback.** The first event after the outcome of a type in ``clawback.on`` that
    happens within ``clawback.within`` (calendar time) of the outcome reverses the spiff:
    one negative line per earned line, at the event's time, with ``reverses`` set to the
    earned line's ``line_id``. Events later than the window do not claw back.
11. **Shadow.** A ``shadow`` spiff is judged the same way, but its lines are not payable.

Line ids are stable: ``{lead_id}:{spiff}:{rep}:{kind}:{index}``, ``index`` being the
position of the earned line in its decision (a clawback carries the index of the line it
reverses); ``rep`` is ``-`` when unassigned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from leadcontract.inputs import Event
from leadcontract.model import MAX_AMOUNT, Contract, Spiff, SpiffAmount
from leadcontract.rules.conditions import (
    CompiledCondition,
    Leaf,
    compile_condition,
    parse_condition,
)
from leadcontract.scopes import ScopeKind, build_scope
from leadcontract.verdict import SpiffDecision, SpiffLine, Verdict

__all__ = [
    "CENT",
    "CompiledSpiffs",
    "Deal",
    "SpiffDecision",
    "SpiffLine",
    "compute_amount",
    "round_money",
    "split_amount",
]

CENT = Decimal("0.01")
"""Money is rounded to this, with ROUND_HALF_EVEN."""

DEAL_EVENTS = frozenset({"opportunity", "won"})
"""Event types that describe the deal."""

_time_order = attrgetter("at", "seq")
"""Events in time order, input order breaking ties."""


def round_money(value: Decimal) -> Decimal:
    """``value`` rounded to cents, half to even."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Deal:
    """The deal facts as of the outcome."""

    amount: Decimal | None = None
    product: str | None = None
    seats: int | None = None
    close_date: date | None = None

    def facts(self) -> dict[str, Any]:
        """The ``deal.*`` names of the SPIFF scope."""
        return {
            "deal.amount": self.amount,
            "deal.product": self.product,
            "deal.seats": self.seats,
            "deal.close_date": self.close_date,
        }

    @classmethod
    def from_events(cls, events: Sequence[Event], upto: datetime, zone: tzinfo) -> Deal:
        """Each fact from the latest ``opportunity``/``won`` event up to ``upto`` carrying it."""
        amount: Decimal | None = None
        product: str | None = None
        seats: int | None = None
        close: date | None = None
        for event in sorted(events, key=lambda e: (e.at, e.seq)):
            if event.at > upto or event.type not in DEAL_EVENTS:
                continue
            if event.amount is not None:
                amount = event.amount
            if event.product is not None:
                product = event.product
            if event.seats is not None:
                seats = event.seats
            if event.type == "won":
                close = event.at.astimezone(zone).date()
        return cls(amount, product, seats, close)


def compute_amount(amount: SpiffAmount, deal: Deal, unit_value: Any) -> tuple[Decimal | None, str]:
    """The unrounded amount and how it was computed; ``(None, why not)`` when it cannot be."""
    currency = amount.currency
    if amount.fixed is not None:
        return amount.fixed, f"{round_money(amount.fixed)} {currency} fixed"
    if amount.per_unit is not None:
        if unit_value is None or isinstance(unit_value, bool):
            return None, f"unit `{amount.unit}` is not set"
        try:
            count = Decimal(str(unit_value))
        except ArithmeticError:
            return None, f"unit `{amount.unit}` is not a number ({unit_value!r})"
        return (
            amount.per_unit * count,
            f"{amount.per_unit} {currency} per unit x {amount.unit} {count}",
        )
    deal_amount = deal.amount
    if deal_amount is None:
        return None, "the deal amount is not known"
    if amount.share is not None:
        return (
            amount.share * deal_amount,
            f"share {amount.share} of deal.amount {deal_amount} {currency}",
        )
    tiers = amount.tiers or []
    if amount.tier_mode == "whole":
        for i, tier in enumerate(tiers):
            if tier.up_to is None or deal_amount <= tier.up_to or i == len(tiers) - 1:
                bound = f"up to {tier.up_to}" if tier.up_to is not None else "open"
                return (
                    tier.share * deal_amount,
                    f"whole tier {i + 1} ({bound}) share {tier.share} of deal.amount "
                    f"{deal_amount} {currency}",
                )
        return Decimal(0), "no tiers"  # pragma: no cover - the model needs a list
    total = Decimal(0)
    parts: list[str] = []
    lower = Decimal(0)
    for tier in tiers:
        upper = tier.up_to
        top = deal_amount if upper is None else min(deal_amount, upper)
        inside = top - lower
        if inside > 0:
            total += inside * tier.share
            parts.append(f"{inside}@{tier.share}")
        if upper is None or deal_amount <= upper:
            break
        lower = upper
    return (
        total,
        f"band tiers {' + '.join(parts) or 'none'} of deal.amount {deal_amount} {currency}",
    )


def split_amount(total: Decimal, shares: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` by ``shares``, each part rounded to cents, adding up exactly to the
    rounded total: the remainder goes to the first part."""
    whole = round_money(total)
    parts = [round_money(total * share) for share in shares]
    if parts:
        parts[0] += whole - sum(parts, Decimal(0))
    return parts


@dataclass(frozen=True, slots=True)
class _Compiled:
    id: str
    spiff: Spiff
    when: CompiledCondition | None


class CompiledSpiffs:
    """Every spiff of a contract, ready to judge leads (see the module docstring)."""

    def __init__(
        self,
        contract: Contract,
        conditions: Mapping[str, CompiledCondition] | None = None,
    ) -> None:
        """``conditions``: the contract's compiled conditions by pointer, when the caller (the
        engine) has compiled them already; otherwise the spiffs' ``when`` are compiled here."""
        self.contract = contract
        self.zone: tzinfo = ZoneInfo(contract.metadata.timezone)
        scope = build_scope(contract, ScopeKind.SPIFF)
        self.spiffs: list[_Compiled] = []
        for spiff_id, spiff in contract.spiffs.items():
            when: CompiledCondition | None = None
            pointer = f"/spiffs/{spiff_id}/when"
            if conditions is not None and pointer in conditions:
                when = conditions[pointer]
            elif spiff.when is not None:
                condition, issues = parse_condition(spiff.when)
                if condition is None:
                    raise ValueError(
                        f"/spiffs/{spiff_id}/when: " + "; ".join(issue.message for issue in issues)
                    )
                when = compile_condition(condition, scope, default_tz=self.zone)
            self.spiffs.append(_Compiled(spiff_id, spiff, when))
        self._applying: dict[str, list[_Compiled]] = {}
        """The spiffs that apply to each campaign met so far, in contract order."""
        self.roles = {rep_id: rep.role for rep_id, rep in contract.reps.items()}
        self.all_roles = {rep_id: rep.all_roles for rep_id, rep in contract.reps.items()}

    def judge(
        self,
        verdict: Verdict,
        events: Sequence[Event],
        *,
        record: Mapping[str, Any] | None = None,
        in_order: bool = False,
    ) -> tuple[SpiffDecision, ...]:
        """One decision per spiff that applies to the lead's campaign, in contract order.

        ``events`` are the lead's events (those after ``verdict.as_of`` are ignored);
        ``record`` is the coerced lead record, which ``when`` conditions and ``per_unit``
        units over lead fields read (without it those fields are not set). ``in_order`` says
        the events are already in time order (input order breaking ties) and none is after
        ``verdict.as_of``, as the engine hands them over: they are not sorted again.
        """
        campaign = verdict.campaign
        if campaign is None:
            return ()
        applying = self._applying.get(campaign)
        if applying is None:
            applying = [item for item in self.spiffs if campaign in item.spiff.campaigns]
            if len(self._applying) < 4096:  # campaigns are few; odd data must not grow it
                self._applying[campaign] = applying
        if not applying:
            return ()
        if in_order:
            ordered = events
        else:
            ordered = sorted((e for e in events if e.at <= verdict.as_of), key=_time_order)
        return tuple(self._judge_one(item, verdict, ordered, record or {}) for item in applying)

    def _day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def _judge_one(
        self,
        item: _Compiled,
        verdict: Verdict,
        events: Sequence[Event],
        record: Mapping[str, Any],
    ) -> SpiffDecision:
        spiff = item.spiff

        leaves: tuple[Leaf, ...] = ()

        def no(why: str) -> SpiffDecision:
            return SpiffDecision(item.id, False, why, leaves=leaves)

        reached = next(
            (c.at for c in verdict.stage.history if c.stage == spiff.outcome and c.at is not None),
            None,
        )
        handoff = verdict.handoff
        handed_at = handoff.at if handoff is not None and handoff.done else None
        if reached is None:
            return no(f"has not reached {spiff.outcome}")
        reasons = [f"reached {spiff.outcome} {self._day(reached).isoformat()}"]
        if spiff.effective is not None:
            dated = handed_at or reached
            day = self._day(dated)
            start = spiff.effective.start.isoformat()
            end = spiff.effective.end.isoformat() if spiff.effective.end else "open"
            label = "handed off" if handed_at is not None else "never handed off; reached it"
            if not spiff.effective.contains(day):
                return no(
                    f"{label} {day.isoformat()}, outside this version's effective range "
                    f"{start}..{end}"
                )
            reasons.append(f"{label} {day.isoformat()}, within {start}..{end}")
        clocks = {clock.sla: clock for clock in verdict.slas}
        for sla_id in spiff.requires_slas:
            clock = clocks.get(sla_id)
            if clock is None:
                return no(f"SLA {sla_id} was not judged for this lead")
            if clock.status != "met":
                return no(
                    f"SLA {sla_id} was {clock.status}"
                    if clock.status == "breached"
                    else f"SLA {sla_id} is {clock.status}, not met"
                )
            reasons.append(f"SLA {sla_id} met")
        if spiff.requires_handoff_complete:
            if handoff is None or not handoff.complete:
                if handoff is None or not handoff.done:
                    return no("the handoff is not done")
                return no("the handoff is incomplete: missing " + ", ".join(handoff.missing_fields))
            reasons.append("handoff complete")
        deal = Deal.from_events(events, reached, self.zone)
        if item.when is not None:
            facts = self._facts(verdict, events, record, deal)
            held, leaves = item.when.trace(facts)
            leaves = tuple(leaves)
            shown = "; ".join(f"{leaf.field}={leaf.observed!s}" for leaf in leaves)
            if not held:
                return no(f"`when` does not hold ({shown})" if shown else "`when` does not hold")
            reasons.append(f"when holds ({shown})" if shown else "when holds")
        unit_value: Any = None
        unit = spiff.amount.unit
        if unit is not None:
            unit_value = deal.facts().get(unit) if unit.startswith("deal.") else record.get(unit)
        total, how = compute_amount(spiff.amount, deal, unit_value)
        if total is None:
            return no(how)
        if abs(total) > MAX_AMOUNT:  # e.g. per_unit x a huge unit count: not paid, and said why
            return no(f"{how} is {total:E}, beyond the largest amount supported ({MAX_AMOUNT:E})")
        reasons.append(how)
        lines = self._lines(item, verdict, events, reached=reached, total=total, reasons=reasons)
        lines += self._clawbacks(item, events, reached, lines)
        return SpiffDecision(item.id, True, "; ".join(reasons), tuple(lines), leaves)

    def _facts(
        self,
        verdict: Verdict,
        events: Sequence[Event],
        record: Mapping[str, Any],
        deal: Deal,
    ) -> dict[str, Any]:
        facts = dict(record)
        facts["score"] = verdict.score.total
        facts["fit_score"] = verdict.score.fit
        facts["engagement_score"] = verdict.score.engagement
        facts["stage"] = verdict.stage.id
        for event in events:
            key = f"events.{event.type}"
            facts[key] = facts.get(key, 0) + 1
        facts.update(deal.facts())
        return facts

    def _earner(
        self, role: str, verdict: Verdict, events: Sequence[Event], upto: datetime
    ) -> str | None:
        for event in reversed(events):
            if event.at <= upto and role in self.all_roles.get(event.actor or "", ()):
                return event.actor
        owner = verdict.owner
        if owner is not None and role in self.all_roles.get(owner, ()):
            return owner
        return None

    def _lines(
        self,
        item: _Compiled,
        verdict: Verdict,
        events: Sequence[Event],
        *,
        reached: datetime,
        total: Decimal,
        reasons: list[str],
    ) -> list[SpiffLine]:
        spiff = item.spiff
        shares: list[tuple[str | None, str | None, Decimal]]
        if spiff.split:
            shares = [
                (self._earner(s.role, verdict, events, reached), s.role, s.share)
                for s in spiff.split
            ]
        elif spiff.earner != "owner":
            shares = [
                (self._earner(spiff.earner, verdict, events, reached), spiff.earner, Decimal(1))
            ]
        else:
            owner = verdict.owner
            shares = [(owner, self.roles.get(owner) if owner else None, Decimal(1))]
        parts = split_amount(total, [share for _, _, share in shares])
        base = "; ".join(reasons)
        lines = []
        for index, ((rep, role, share), part) in enumerate(zip(shares, parts, strict=True)):
            reason = base
            if len(shares) > 1 or share != 1:
                reason += f"; {role} share {share}"
                if index == 0 and part != round_money(total * share):
                    reason += " (+ rounding remainder)"
            if rep is None:
                reason += f"; no rep with role {role} (unassigned)"
            lines.append(
                SpiffLine(
                    spiff=item.id,
                    lead_id=verdict.lead_id,
                    rep=rep,
                    role=role,
                    kind="earned",
                    amount=part,
                    currency=spiff.amount.currency,
                    at=reached,
                    payable=not spiff.shadow,
                    reason=reason,
                    line_id=_line_id(verdict.lead_id, item.id, rep, "earned", index),
                )
            )
        return lines

    def _clawbacks(
        self,
        item: _Compiled,
        events: Sequence[Event],
        reached: datetime,
        earned: Sequence[SpiffLine],
    ) -> list[SpiffLine]:
        clawback = item.spiff.clawback
        if clawback is None:
            return []
        window = clawback.within.as_timedelta()
        trigger = next(
            (e for e in events if e.type in clawback.on and reached < e.at <= reached + window),
            None,
        )
        if trigger is None:
            return []
        when = self._day(trigger.at).isoformat()
        return [
            SpiffLine(
                spiff=line.spiff,
                lead_id=line.lead_id,
                rep=line.rep,
                role=line.role,
                kind="clawback",
                amount=-line.amount,
                currency=line.currency,
                at=trigger.at,
                payable=line.payable,
                reason=(
                    f"{trigger.type} {when}, within {clawback.within} of the outcome: "
                    f"reverses {line.line_id}"
                ),
                reverses=line.line_id,
                line_id=_line_id(line.lead_id, line.spiff, line.rep, "clawback", index),
            )
            for index, line in enumerate(earned)
        ]


def _line_id(lead_id: str, spiff: str, rep: str | None, kind: str, index: int) -> str:
    return f"{lead_id}:{spiff}:{rep if rep is not None else '-'}:{kind}:{index}"
