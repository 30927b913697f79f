"""Personal data in what is kept: masking by field identity, wherever a value travels.

A field marked ``pii: true`` is personal wherever its value ends up, not only under its own
name. :class:`PiiPolicy` knows every way a personal value reaches a stored verdict or error
row, and :meth:`PiiPolicy.mask` replaces it with :data:`MASK`:

* under the field's name (a record key), or as a trace fact about the field (its observed
  value);
* in an error row about the field, named by the contract field (``first_name``) *or* by the
  CRM column it is read from (``FirstName``, matched loosely as the readers match columns):
  the row's message quotes the value;
* quoted inside other text (a note, a reason): every personal value seen in the verdict's facts
  (four characters or longer, so that short values do not blank unrelated words) is masked
  wherever it appears;
* a personal time zone (``lead.keys.timezone`` marked ``pii``) in SLA clock notes;
* a personal datetime that triggers an SLA clock (``start: {field: ...}``): the times it set
  (the clock's start and its activation, its stop, its pauses).

A personal *lead id* cannot be masked, since it is what the store is looked up by: it is
replaced by a pseudonym, ``pii:`` and a hash of the id (an HMAC with the store's key when it
has one; see :data:`leadcontract.store.KEY_ENV`), in the entry and its payload.
``leadcontract audit show --lead ID`` hashes the id it is given the same way. Without a key,
ids from a small space can be found by hashing guesses: a pseudonym, not anonymity.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, cast

from leadcontract.model import Contract

__all__ = ["MASK", "PiiPolicy", "pseudonym"]

MASK: Final = "***"
"""What a personal value is replaced by."""

_MIN_QUOTED: Final = 4
"""Personal values shorter than this are masked by identity only, not inside other text."""

_ZONE_IN_NOTE = re.compile(r"(hours in )\S+|\('[^']*' is no zone\)")
_TRIGGERS: Final = ("start", "stop", "pause", "resume", "cancel")


def _loose(name: str) -> str:
    """Column names as the readers match them: case-insensitive, spaces and '_' ignored."""
    return name.casefold().replace(" ", "").replace("_", "")


def pseudonym(lead_id: str, key: bytes | None = None) -> str:
    """The stored stand-in for a personal lead id: ``pii:`` and 32 hex digits of a hash."""
    data = lead_id.encode("utf-8", "surrogatepass")
    if key is not None:
        return "pii:" + hmac.new(key, data, hashlib.sha256).hexdigest()[:32]
    return "pii:" + hashlib.sha256(b"leadcontract lead id\0" + data).hexdigest()[:32]


@dataclass(frozen=True)
class PiiPolicy:
    """Which names and values of a contract's records are personal (see the module)."""

    fields: frozenset[str]
    columns: frozenset[str] = frozenset()
    id_is_pii: bool = False
    zone_is_pii: bool = False
    personal_triggers: frozenset[tuple[str, str]] = frozenset()
    """(SLA id, trigger name) pairs whose trigger is a personal datetime field."""
    key: bytes | None = None
    _judged: set[str] = field(default_factory=set, compare=False, hash=False, repr=False)
    _personal: set[str] = field(default_factory=set, compare=False, hash=False, repr=False)
    """The names already judged, and those of them that are personal: a payload repeats a
    few dozen names thousands of times, and a dict's keys are judged by two set operations
    in C (see :func:`_mask_identities`)."""

    @classmethod
    def of(cls, contract: Contract, *, key: bytes | None = None) -> PiiPolicy:
        """The policy of a contract's ``pii`` fields (``key``: for lead id pseudonyms)."""
        lead = contract.lead
        personal = {name for name, spec in lead.fields.items() if spec.pii}
        columns = {_loose(name) for name in personal}
        columns |= {_loose(s.source) for n, s in lead.fields.items() if s.pii and s.source}
        slas = {
            (sla_id, name)
            for sla_id, sla in contract.slas.items()
            for name in _TRIGGERS
            if (trigger := getattr(sla, name, None)) is not None and trigger.field in personal
        }
        zone = lead.keys.timezone
        return cls(
            frozenset(personal),
            frozenset(columns),
            id_is_pii=lead.keys.id in personal,
            zone_is_pii=zone is not None and zone in personal,
            personal_triggers=frozenset(slas),
            key=key,
        )

    def is_personal(self, name: Any) -> bool:
        """Whether a field or column name is that of a personal field."""
        if not isinstance(name, str):
            return False
        if name in self._judged:
            return name in self._personal
        self._judged.add(name)
        if name in self.fields or _loose(name) in self.columns:
            self._personal.add(name)
            return True
        return False

    def lead_id(self, lead_id: str | None) -> str | None:
        """The lead id as stored: a :func:`pseudonym` when the id field is personal."""
        if lead_id is None or not self.id_is_pii:
            return lead_id
        return pseudonym(lead_id, self.key)

    def mask(self, payload: Mapping[str, Any], *, in_place: bool = False) -> dict[str, Any]:
        """A masked copy of a verdict's or error row's plain payload (the input is kept).

        ``in_place``: ``payload`` itself is masked and returned; it must be made of dicts and
        lists only (as ``json`` or orjson read it), and be the caller's own: an audited run
        masks every verdict, whose copy costs as much as finding what to mask.
        """
        lead_id = payload.get("lead_id")  # (before an in-place masking masks it)
        if in_place and payload.__class__ is dict:
            masked = cast(dict[str, Any], payload)
            found: list[str] = []
            _mask_identities(masked, self, found)
            quoted = _quotable(found)
            if quoted or self.zone_is_pii:
                _mask_texts(masked, self, quoted)
        else:
            masked = _mask(payload, self, _quotable(_personal_values(payload, self)))
        assert isinstance(masked, dict)
        if self.id_is_pii and isinstance(lead_id, str):
            masked["lead_id"] = self.lead_id(lead_id)
        for sla in masked.get("slas") or ():
            if isinstance(sla, dict):
                for sla_id, trigger in self.personal_triggers:
                    if sla.get("sla") == sla_id:
                        _mask_trigger(sla, trigger)
        return masked


def _quotable(values: list[str]) -> list[str]:
    """The personal values to mask inside other text: long enough, longest first (a value
    inside a longer one must not break it up first), ties in text order (every run the same)."""
    return sorted({text for text in values if len(text) >= _MIN_QUOTED}, key=_longest_first)


def _longest_first(text: str) -> tuple[int, str]:
    return -len(text), text


def _personal_values(value: Any, policy: PiiPolicy) -> list[str]:
    """Every personal value the payload states by identity, as text."""
    found: list[str] = []
    _collect(value, policy, found)
    return found


# Payloads are plain data (dicts, lists, tuples, scalars), so both walks below try exact types
# first, since they visit every value of every stored verdict; any other mapping, list or tuple
# (a subclass) falls through to the ABC checks and is walked the same way.
_SCALARS: Final = frozenset({type(None), bool, int, float})
_CONTAINERS: Final = frozenset({dict, list, tuple})


def _collect(value: Any, policy: PiiPolicy, found: list[str]) -> None:
    kind = type(value)
    if kind is dict or (kind not in _CONTAINERS and isinstance(value, Mapping)):
        personal = policy.is_personal
        if personal(value.get("field")) and value.get("observed") is not None:
            found.append(str(value["observed"]))
        for key, item in value.items():
            held = item.__class__
            if held is str or held in _SCALARS:  # most values: no look at their subclasses
                if item is not None and personal(key):
                    found.append(str(item))
            elif held in _CONTAINERS or isinstance(item, Mapping | list | tuple):
                _collect(item, policy, found)
            elif personal(key) and isinstance(item, str | int | float):
                found.append(str(item))
    elif kind in _CONTAINERS or isinstance(value, list | tuple):
        for item in value:
            held = item.__class__
            if held is str or held in _SCALARS:
                continue
            if held in _CONTAINERS or isinstance(item, Mapping | list | tuple):
                _collect(item, policy, found)


def _mask(value: Any, policy: PiiPolicy, quoted: list[str]) -> Any:
    kind = type(value)
    if kind is str:
        return _mask_text(value, policy, quoted) if quoted or policy.zone_is_pii else value
    if kind in _SCALARS:
        return value
    if kind is dict or (kind not in _CONTAINERS and isinstance(value, Mapping)):
        personal = policy.is_personal
        personal_fact = personal(value.get("field"))
        out: dict[str, Any] = {}
        for key, item in value.items():
            if personal(key) or (personal_fact and key in ("observed", "message")):
                out[key] = None if item is None else MASK
            else:
                out[key] = _mask(item, policy, quoted)
        return out
    if kind in _CONTAINERS or isinstance(value, list | tuple):
        return [_mask(item, policy, quoted) for item in value]
    if isinstance(value, str):
        return _mask_text(value, policy, quoted)
    return value


_FACT_VALUES: Final = frozenset({"observed", "message"})
"""The keys of a fact (or error row) that hold its field's value."""


_CHILDREN: Final = (dict, list)
_Plain = dict[str, Any] | list[Any]
"""A payload as ``json`` or orjson reads it: dicts and lists only, below them scalars."""


def _mask_identities(value: _Plain, policy: PiiPolicy, found: list[str]) -> None:
    """:func:`_mask`'s masking by identity on a payload of dicts and lists only, in place, in
    the same walk as :func:`_collect` (``found``: the personal values, read before masking).

    A dict's names are judged by set operations (every name is one of a few dozen, judged
    once), so the walk looks at each value only to go down into it."""
    if isinstance(value, list):
        for item in value:
            if item.__class__ in _CHILDREN:
                _mask_identities(item, policy, found)
        return
    names = value.keys()
    if not names <= policy._judged:
        for name in names - policy._judged:
            policy.is_personal(name)
    personal = names & policy._personal
    fact = "field" in value and policy.is_personal(value["field"])
    if fact and value.get("observed") is not None:
        found.append(str(value["observed"]))  # what the fact says the personal field holds
    for item in value.values():  # down first: what a masked name held is personal too
        if item.__class__ in _CHILDREN:
            _mask_identities(item, policy, found)
    for name in personal:
        item = value[name]
        if item is not None:
            if item.__class__ not in _CHILDREN:
                found.append(str(item))
            value[name] = MASK
    if fact:
        for name in _FACT_VALUES & names:
            if value[name] is not None:
                value[name] = MASK


def _mask_texts(value: _Plain, policy: PiiPolicy, quoted: list[str]) -> None:
    """:func:`_mask_text` on every text of a payload of dicts and lists, in place, called only
    for a text that holds something to mask (most texts of a payload hold none; the look is
    written out in both branches below, since a call per text costs more than the look)."""
    needles = (*quoted, "hours in ", "is no zone") if policy.zone_is_pii else tuple(quoted)
    _mask_texts_holding(value, policy, quoted, needles)


def _mask_texts_holding(
    value: _Plain, policy: PiiPolicy, quoted: list[str], needles: tuple[str, ...]
) -> None:
    if isinstance(value, dict):
        for name, item in value.items():  # values replaced, none added: the dict keeps its size
            if item.__class__ is str:
                for needle in needles:
                    if needle in item:
                        value[name] = _mask_text(item, policy, quoted)
                        break
            elif item.__class__ in _CHILDREN:
                _mask_texts_holding(item, policy, quoted, needles)
        return
    for index, item in enumerate(value):
        if item.__class__ is str:
            for needle in needles:
                if needle in item:
                    value[index] = _mask_text(item, policy, quoted)
                    break
        elif item.__class__ in _CHILDREN:
            _mask_texts_holding(item, policy, quoted, needles)


def _mask_text(text: str, policy: PiiPolicy, quoted: list[str]) -> str:
    for personal in quoted:
        if personal in text:
            text = text.replace(personal, MASK)
    if policy.zone_is_pii and ("hours in " in text or "is no zone" in text):
        text = _ZONE_IN_NOTE.sub(lambda m: f"{m.group(1)}{MASK}" if m.group(1) else MASK, text)
    return text


_TRIGGER_TIMES: Final = {
    "start": ("start", "activate"),
    "stop": ("stop", "fulfil"),
    "pause": (None, "pause"),
    "resume": (None, "resume"),
    "cancel": (None, "cancel"),
}


def _mask_trigger(sla: dict[str, Any], trigger: str) -> None:
    """An SLA clock trigger that is a personal datetime: the times it set are that datetime."""
    key, event_kind = _TRIGGER_TIMES[trigger]
    if key is not None and sla.get(key) is not None:
        sla[key] = MASK
    for event in sla.get("events") or ():
        if isinstance(event, dict) and event.get("kind") == event_kind and event.get("at"):
            event["at"] = MASK


def policy_for_fields(fields: Collection[str]) -> PiiPolicy:
    """A policy that knows only field names (for :func:`leadcontract.store.mask_pii`)."""
    return PiiPolicy(frozenset(fields), frozenset(_loose(name) for name in fields))
