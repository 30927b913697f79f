"""Checks on the lifecycle graph: every stage reachable, no accidental dead ends or loops."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from leadcontract.checks._context import LintContext, check
from leadcontract.diagnostics import Diagnostic
from leadcontract.model import StageRole

REQUIRED_ROLES = (StageRole.OPPORTUNITY, StageRole.DISQUALIFIED)
"""Roles the engine cannot do without: handoffs must precede one, reasons lead to the other."""


def reachable(edges: dict[str, list[str]], start: str) -> set[str]:
    """Stages reachable from ``start`` (including it)."""
    seen = {start}
    queue = deque([start])
    while queue:
        for target in edges.get(queue.popleft(), ()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


@check("LC401")
def check_unreachable_stages(ctx: LintContext) -> Iterator[Diagnostic]:
    """Every stage can be entered: a transition leads to it and something triggers entry."""
    stages = ctx.stages
    edges = ctx.contract.lead.lifecycle.transitions()
    seen = reachable(edges, stages[0].id)
    for i, stage in enumerate(stages[1:], start=1):
        pointer = f"/lead/lifecycle/stages/{i}/id"
        if stage.id not in seen:
            yield ctx.report(
                "LC401",
                f"stage `{stage.id}` cannot be reached from `{stages[0].id}`: "
                "no stage lists it in `next`",
                pointer,
                hint=f"add `{stage.id}` to the `next` of the stage before it",
            )
        elif stage.when is None and not stage.entry_events:
            yield ctx.report(
                "LC401",
                f"stage `{stage.id}` has no entry criteria: no `when`, no `on`, and its role "
                "implies no event",
                pointer,
                hint="add `when:` (a condition) or `on:` (event types)",
            )


@check("LC402")
def check_dead_ends(ctx: LintContext) -> Iterator[Diagnostic]:
    """Only terminal stages have no way out."""
    edges = ctx.contract.lead.lifecycle.transitions()
    for i, stage in enumerate(ctx.stages):
        if not stage.terminal and not edges.get(stage.id):
            yield ctx.report(
                "LC402",
                f"stage `{stage.id}` is not terminal but leads nowhere",
                f"/lead/lifecycle/stages/{i}/id",
                hint="mark it `terminal: true` or list where leads go next in `next`",
            )


@check("LC403")
def check_unbounded_recycling(ctx: LintContext) -> Iterator[Diagnostic]:
    """A reason that recycles leads into a loop back to disqualification sets `max_recycles`."""
    edges = ctx.contract.lead.lifecycle.transitions()
    disqualified = {s.id for s in ctx.stages if s.effective_role is StageRole.DISQUALIFIED}
    for reason_id, reason in ctx.contract.lead.disqualification.reasons.items():
        if reason.recycle is None or reason.max_recycles is not None:
            continue
        if reachable(edges, reason.recycle.to) & disqualified:
            yield ctx.report(
                "LC403",
                f"reason `{reason_id}` recycles to `{reason.recycle.to}`, from where a lead can "
                "be disqualified and recycled again, without limit",
                f"/lead/disqualification/reasons/{reason_id}/recycle",
                key=True,
                hint="set `max_recycles` on the reason",
            )


@check("LC404", "LC405")
def check_roles(ctx: LintContext) -> Iterator[Diagnostic]:
    """Each role is played by one stage, and the roles the engine needs are played."""
    seen: dict[StageRole, int] = {}
    for i, stage in enumerate(ctx.stages):
        role = stage.effective_role
        if role is None or ctx.stage_index[stage.id] != i:
            continue  # a repeated id is reported as LC104, not again as a repeated role
        if role in seen:
            first = ctx.stages[seen[role]].id
            where = "role" if stage.role is not None else "id"
            yield ctx.report(
                "LC404",
                f"stage `{stage.id}` plays role `{role.value}`, already played by `{first}`",
                f"/lead/lifecycle/stages/{i}/{where}",
            )
        else:
            seen[role] = i
    for role in REQUIRED_ROLES:
        if role not in seen:
            yield ctx.report(
                "LC405",
                f"no stage plays the role `{role.value}`",
                "/lead/lifecycle/stages",
                key=True,
                hint=f"add a stage `{role.value}` or give a stage `role: {role.value}`",
            )


def criteria_cycles(edges: dict[str, list[str]], criteria: set[str]) -> list[list[str]]:
    """Loops of transitions into criteria stages, each as the path from its first stage.

    Only an edge into a stage with entry criteria (``when:``) promotes a lead without an
    event, so only loops made of such edges can turn at one instant. One loop is returned per
    strongly connected group of stages (Tarjan's algorithm), in the order stages are written.
    """
    graph = {s: [t for t in targets if t in criteria] for s, targets in edges.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        # Recursion depth is bounded by the number of stages, a small number in a contract.
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(group)

    for node in graph:
        if node not in index:
            visit(node)
    return [_loop_through(graph, set(group), min(group, key=list(graph).index)) for group in groups]


def _loop_through(graph: dict[str, list[str]], group: set[str], start: str) -> list[str]:
    """A shortest path from ``start`` back to itself inside ``group``."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in graph.get(node, ()):
            if target not in group:
                continue
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target not in came_from:
                came_from[target] = node
                queue.append(target)
    raise AssertionError("a strongly connected group has a loop")  # pragma: no cover


@check("LC406")
def check_criteria_cycles(ctx: LintContext) -> Iterator[Diagnostic]:
    """No loop of transitions runs through stages that all have entry criteria."""
    edges = ctx.contract.lead.lifecycle.transitions()
    criteria = {stage.id for stage in ctx.stages if stage.when is not None}
    for loop in criteria_cycles(edges, criteria):
        # Placed on the transition that closes the loop: the last stage's way back.
        first, closing = loop[0], loop[-2]
        i = ctx.stage_index[closing]
        where = "next" if ctx.stages[i].next is not None else "id"  # implicit `next`: the id
        yield ctx.report(
            "LC406",
            "stages with entry criteria lead back to one another: "
            + " -> ".join(f"`{s}`" for s in loop)
            + "; a lead whose criteria all hold would be promoted round this loop",
            f"/lead/lifecycle/stages/{i}/{where}",
            hint=f"remove `{first}` from the `next` of `{closing}`, or drop the `when` of one "
            "stage in the loop so that only an event enters it",
        )
