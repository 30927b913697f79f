"""The registry of semantic checks and the context each check reads from.

A check is a small function that takes a :class:`LintContext` and yields diagnostics; the
context places each finding on its line through the contract's source map, so checks never
deal with files or positions themselves.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from leadcontract.diagnostics import CODES, Diagnostic, make
from leadcontract.loader import ContractSource
from leadcontract.model import Contract, Stage, StageRole

__all__ = ["CHECKS", "Check", "LintContext", "check"]


_DEFINED_UNDER = {
    "calendar": "calendars",
    "rep": "reps",
    "campaign": "campaigns",
    "SLA": "slas",
    "stage": "lead.lifecycle.stages",
    "lead field": "lead.fields",
    "disqualification reason": "lead.disqualification.reasons",
}
"""Where the contract defines each kind of id a reference may name (for an empty section)."""


@dataclass(frozen=True)
class LintContext:
    """A valid contract and where it was written."""

    contract: Contract
    source: ContractSource
    samples: tuple[tuple[str, str, frozenset[str]], ...] = ()
    """Export samples to check mappings against: (kind "lead" or "event", file, columns)."""

    def report(
        self,
        code: str,
        message: str,
        pointer: str,
        *,
        key: bool = False,
        hint: str | None = None,
    ) -> Diagnostic:
        """A diagnostic for the node at ``pointer`` (its key with ``key=True``)."""
        return make(code, message, self.source.locate(pointer, key=key), pointer=pointer, hint=hint)

    def unknown(
        self, code: str, what: str, name: str, known: Iterable[str], pointer: str
    ) -> Diagnostic:
        """A dangling reference, with the closest known name as a hint."""
        choices = sorted(known)
        close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean `{close[0]}`?"
        elif choices:
            hint = "known: " + ", ".join(f"`{c}`" for c in choices[:12])
            hint += ", ..." if len(choices) > 12 else ""
        elif what in _DEFINED_UNDER:
            section = _DEFINED_UNDER[what]
            hint = f"the contract defines no {what} yet: add `{name}` under `{section}`"
        else:
            hint = None
        return self.report(code, f"unknown {what} `{name}`", pointer, hint=hint)

    @cached_property
    def stages(self) -> list[Stage]:
        return self.contract.lead.lifecycle.stages

    @cached_property
    def stage_index(self) -> dict[str, int]:
        """Position of each stage id in funnel order (first definition wins)."""
        index: dict[str, int] = {}
        for i, stage in enumerate(self.stages):
            index.setdefault(stage.id, i)
        return index

    @cached_property
    def stage_by_role(self) -> dict[StageRole, Stage]:
        """The first stage that plays each role."""
        roles: dict[StageRole, Stage] = {}
        for stage in self.stages:
            role = stage.effective_role
            if role is not None:
                roles.setdefault(role, stage)
        return roles


CheckFunction = Callable[[LintContext], Iterator[Diagnostic]]


@dataclass(frozen=True)
class Check:
    """A registered semantic check: the codes it may emit and its first docstring line."""

    name: str
    codes: tuple[str, ...]
    run: CheckFunction

    @property
    def summary(self) -> str:
        return (self.run.__doc__ or "").strip().splitlines()[0]


CHECKS: dict[str, Check] = {}


def check(*codes: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under its name; it may emit only ``codes``."""

    def register(function: CheckFunction) -> CheckFunction:
        name = function.__name__.removeprefix("check_").replace("_", "-")
        if name in CHECKS:
            raise RuntimeError(f"check {name!r} is registered twice")
        unknown = [c for c in codes if c not in CODES]
        if unknown:
            raise RuntimeError(f"check {name!r} names unregistered codes {unknown}")
        CHECKS[name] = Check(name, codes, function)
        return function

    return register
