"""The contract's parts in words: durations, money, triggers and every SLA as a promise.

Sentences are built from the models and, for conditions, from the condition AST through
:func:`leadcontract.rules.conditions.in_words`, so the site says what the engine does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from leadcontract.durations import Duration
from leadcontract.model import Contract, Sla, SlaKind, Trigger
from leadcontract.rules.conditions import in_words, parse_condition

__all__ = [
    "condition_words",
    "duration_words",
    "listing",
    "money",
    "person",
    "sla_details",
    "sla_sentence",
    "trigger_words",
]

_EVENT_NOUNS = {
    "created": "creation",
    "handoff": "handoff",
    "accepted": "acceptance",
    "touch": "a touch",
    "meeting": "a meeting",
    "qualified": "qualification",
    "disqualified": "a disqualification",
    "recycled": "recycling",
    "feedback": "feedback to marketing",
    "opportunity": "an opportunity",
    "won": "a won deal",
    "lost": "a lost deal",
    "refunded": "a refund",
}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def listing(items: Iterable[str], word: str = "and") -> str:
    """``a, b and c``."""
    values = list(items)
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + f" {word} " + values[-1]


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 campaign``, ``2 campaigns``: a count with its noun in the right number."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def duration_words(duration: Duration, *, business: bool = False) -> str:
    """``1 business day``, ``4 business hours``, ``1 week and 2 days``."""
    prefix = "business " if business else ""
    parts = []
    for count, unit in (
        (duration.weeks, "week"),
        (duration.days, "day"),
        (duration.hours, "hour"),
        (duration.minutes, "minute"),
    ):
        if count:
            parts.append(f"{count} {prefix}{unit}{'' if count == 1 else 's'}")
    return listing(parts) or "no time"


def money(amount: Decimal, currency: str) -> str:
    """``$50.00``, ``€1,500.00``, ``1,000.00 CHF``."""
    text = f"{amount:,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def condition_words(source: object) -> str:
    """A condition as written in the contract, in words (its expression text if unparsable)."""
    condition, _ = parse_condition(source)
    return in_words(condition) if condition is not None else str(source)


def person(contract: Contract, who: str | None) -> str:
    """A rep id as the person's name; teams and roles as written."""
    if who is None:
        return "nobody"
    rep = contract.reps.get(who)
    return rep.name if rep is not None else who


def _event_noun(contract: Contract, event: str) -> str:
    noun = _EVENT_NOUNS.get(event)
    if noun is not None:
        return noun
    declared = contract.lead.events.get(event)
    if declared is not None and declared.description:
        return f"{event.replace('_', ' ')} ({declared.description.rstrip('.').lower()})"
    return event.replace("_", " ")


def trigger_words(contract: Contract, trigger: Trigger) -> str:
    """What a trigger is, as a noun phrase: ``handoff``, ``a touch by phone or email``."""
    parts: list[str] = []
    if trigger.event:
        parts.append(listing([_event_noun(contract, e) for e in trigger.event], "or"))
        if trigger.channels:
            parts[-1] += " by " + listing(trigger.channels, "or")
        if trigger.reasons:
            labels = [
                contract.lead.disqualification.reasons[r].label
                if r in contract.lead.disqualification.reasons
                else r
                for r in trigger.reasons
            ]
            parts[-1] += " for one of these reasons: " + listing(labels, "or").lower()
    if trigger.stage:
        parts.append("entering " + listing(trigger.stage, "or"))
    if trigger.field:
        parts.append(f"the time recorded in *{trigger.field}*")
    text = listing(parts, "or")
    if trigger.when is not None:
        text += f", when {condition_words(trigger.when)}"
    return text


def _whose_leads(contract: Contract, sla: Sla, every: str = "every") -> str:
    campaigns = sla.applies_to.campaigns
    if campaigns:
        names = [contract.campaigns[c].name if c in contract.campaigns else c for c in campaigns]
        text = f"{every} lead from " + listing(names, "or")
    else:
        text = f"{every} lead"
    if sla.applies_to.when is not None:
        text += f" where {condition_words(sla.applies_to.when)}"
    return text


def _action(contract: Contract, sla: Sla) -> str:
    stop = sla.stop
    events = stop.event if stop is not None and stop.event else []
    channels = f" by {listing(stop.channels, 'or')}" if stop and stop.channels else ""
    if events == ["touch"]:
        return f"makes a first touch{channels} on"
    if sorted(events) == ["accepted", "disqualified"]:
        return "accepts or disqualifies"
    if events == ["feedback"]:
        return "gives marketing feedback on"
    assert stop is not None
    return f"answers with {trigger_words(contract, stop)} on"


def _clock_words(contract: Contract, sla: Sla) -> str:
    if sla.time == "calendar":
        return "counted in calendar time"
    calendar = contract.calendars.get(sla.calendar or "")
    name = sla.calendar or "its calendar"
    hours = f"the {name} working hours"
    if calendar is not None and calendar.description:
        hours += f" ({calendar.description.rstrip('.')})"
    zone = {
        "calendar": "",
        "lead": ", read in the lead's own time zone",
        "owner": ", read in the owning rep's time zone",
    }[sla.clock_zone]
    return f"on {hours}{zone}"


def sla_sentence(contract: Contract, sla: Sla) -> str:
    """Every SLA as one sentence a rep understands.

    "Sales makes a first touch on every lead from Q4 webinar series within 1 business day of
    handoff, on the us-east working hours; warned at 75% of the time; a breach goes to Mia
    Santos."
    """
    who = sla.responsible.value.capitalize()
    business = sla.time == "business"
    target = duration_words(sla.target, business=business)
    leads = _whose_leads(contract, sla)
    start = trigger_words(contract, sla.start)
    if sla.kind is SlaKind.ATTEMPTS:
        attempts = sla.attempts
        assert attempts is not None
        how = f" by {listing(attempts.channels, 'or')}" if attempts.channels else ""
        sentence = (
            f"{who} makes {attempts.count} contact attempts{how} on {leads} within "
            f"{duration_words(attempts.within, business=business)} of {start}"
        )
    elif sla.kind is SlaKind.IDLE:
        stop = trigger_words(contract, sla.stop) if sla.stop else "a touch"
        leads = _whose_leads(contract, sla, "any")
        sentence = (
            f"{who} never leaves {leads} waiting more than {target} for {stop}, "
            f"counting from {start}"
        )
    else:
        sentence = f"{who} {_action(contract, sla)} {leads} within {target} of {start}"
    details = [_clock_words(contract, sla)]
    if sla.warn_at:
        details.append("warned at " + listing([f"{p}%" for p in sla.warn_at]) + " of the time")
    if sla.escalate_to:
        details.append(f"a breach goes to {person(contract, sla.escalate_to)}")
    return sentence + ", " + "; ".join(details) + "."


def sla_details(contract: Contract, sla: Sla) -> Sequence[tuple[str, str]]:
    """The rest of an SLA, one ``(what, in words)`` row each, for the table under it."""
    rows = [("Starts on", trigger_words(contract, sla.start))]
    if sla.stop is not None:
        rows.append(("Kept by", trigger_words(contract, sla.stop)))
    if sla.pause is not None:
        paused = trigger_words(contract, sla.pause)
        resumed = trigger_words(contract, sla.resume) if sla.resume else "the next event"
        rows.append(("Clock pauses", f"from {paused} until {resumed}"))
    if sla.cancel is not None:
        rows.append(("No longer owed after", trigger_words(contract, sla.cancel)))
    rows.append(("Time allowed", duration_words(sla.target, business=sla.time == "business")))
    rows.append(("Responsible", sla.responsible.value))
    return rows
