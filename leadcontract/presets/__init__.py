"""CRM presets: how Salesforce and HubSpot exports name things, as data a contract extends.

A preset (``salesforce.yaml``, ``hubspot.yaml`` beside this module) lists, for the roles the
engine needs (lead id, creation time, owner) and for commonly named lead fields, the columns
the CRM's exports use, and event mappings for its activity exports. A contract extends one with
``mappings: {extends: salesforce}``; :func:`resolve_mappings` then merges: the contract's own
``source`` and event mappings come first, a preset only adds what the contract leaves unsaid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field

from leadcontract.model import Contract, EventMapping

__all__ = ["PRESETS", "Preset", "ResolvedMappings", "load_preset", "resolve_mappings"]

PRESETS = ("hubspot", "salesforce")
"""The presets this library ships."""


class Preset(BaseModel):
    """One CRM's export conventions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    keys: dict[str, list[str]] = Field(default_factory=dict)
    """Columns for the lead's key roles: ``id``, ``created``, ``owner``, ``campaign``."""
    fields: dict[str, list[str]] = Field(default_factory=dict)
    """Columns for lead fields of these conventional names (``email``, ``lead_source``...)."""
    events: list[EventMapping] = Field(default_factory=list)
    """Event mappings for the CRM's activity exports."""


@cache
def load_preset(name: str) -> Preset:
    """The preset called ``name``; :class:`KeyError` when there is none."""
    if name not in PRESETS:
        raise KeyError(name)
    text = resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return Preset.model_validate(yaml.safe_load(text))


@dataclass(frozen=True)
class ResolvedMappings:
    """A contract's mappings with its presets merged in."""

    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Further columns to read each lead field from (after its name and its ``source``)."""
    events: tuple[EventMapping, ...] = ()
    """Event mappings in the order they are tried: the contract's, then each preset's."""
    ignore_columns: frozenset[str] = frozenset()
    unknown_presets: tuple[str, ...] = ()


def resolve_mappings(contract: Contract) -> ResolvedMappings:
    """Merge the presets a contract extends into its own mappings."""
    mappings = contract.mappings
    lead = contract.lead
    roles = {
        "id": lead.keys.id,
        "created": lead.keys.created,
        "owner": lead.keys.owner,
        "campaign": lead.keys.campaign,
    }
    sources: dict[str, list[str]] = {}
    events = list(mappings.events)
    unknown: list[str] = []
    for name in mappings.extends:
        try:
            preset = load_preset(name)
        except KeyError:
            unknown.append(name)
            continue
        named = [(roles[role], columns) for role, columns in preset.keys.items() if role in roles]
        named += list(preset.fields.items())
        for field_name, columns in named:
            spec = lead.fields.get(field_name)
            if spec is None or spec.source is not None:
                continue  # not in this contract, or the contract names its own column
            sources.setdefault(field_name, []).extend(columns)
        events += preset.events
    return ResolvedMappings(
        sources={name: tuple(dict.fromkeys(columns)) for name, columns in sources.items()},
        events=tuple(events),
        ignore_columns=frozenset(mappings.ignore_columns),
        unknown_presets=tuple(unknown),
    )
