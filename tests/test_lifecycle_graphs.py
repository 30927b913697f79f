"""Random stage graphs: lint flags a loop of criteria stages exactly when there is one, and the
replay comes to rest whatever the graph (hang 1 of issue 8).

The stages of tests/fixtures/engine/contract.yaml are kept (their roles matter to the engine);
their `next` lists and which of them have `when: true` are drawn at random.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from engine_support import CONTRACT, DAY, T0, event, lead
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcontract import lint
from leadcontract.engine import compile_contract
from leadcontract.loader import load
from leadcontract.verdict import Verdict

STAGES = ("inquiry", "mql", "sal", "sql", "opportunity", "won", "lost", "nurture", "disqualified")
TERMINAL = frozenset({"won", "lost", "disqualified"})
_BLOCK = re.compile(r"  lifecycle:\n    stages:\n(?:      .*\n|        .*\n)+")
TEXT = CONTRACT.read_text(encoding="utf-8")
EVENTS = [
    event(kind, T0 + n * DAY)
    for n, kind in enumerate(
        ["webinar_attended", "pricing_page_visit", "accepted", "webinar_attended", "touch"],
        start=1,
    )
]


def _contract(graph: dict[str, list[str]], criteria: set[str]) -> str:
    lines = ["  lifecycle:", "    stages:"]
    for stage in STAGES:
        lines.append(f"      - id: {stage}")
        if stage in criteria:
            lines.append("        when: true")
        if stage in TERMINAL:
            lines.append("        terminal: true")
        lines.append(f"        next: [{', '.join(graph[stage])}]")
    text, count = _BLOCK.subn("\n".join(lines) + "\n", TEXT)
    assert count == 1
    return text


def _has_criteria_loop(graph: dict[str, list[str]], criteria: set[str]) -> bool:
    """Independently of the check: a criteria stage that can come back to itself along edges
    into criteria stages (depth-first from each one)."""
    for start in criteria:
        seen: set[str] = set()
        stack = [t for t in graph[start] if t in criteria]
        while stack:
            node = stack.pop()
            if node == start:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(t for t in graph[node] if t in criteria)
    return False


GRAPHS = st.fixed_dictionaries(
    {stage: st.lists(st.sampled_from(STAGES), max_size=4, unique=True) for stage in STAGES}
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=GRAPHS, criteria=st.sets(st.sampled_from(STAGES[1:]), max_size=5))
def test_lint_flags_a_criteria_loop_exactly_when_there_is_one_and_the_replay_stops(
    graph: dict[str, list[str]], criteria: set[str]
) -> None:
    criteria = {"inquiry", *criteria}  # the first stage has `when: true` in the fixture too
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contract.yaml"
        path.write_text(_contract(graph, criteria), encoding="utf-8")
        loops = [d for d in lint(path).diagnostics if d.code == "LC406"]
        loaded = load(path)
    assert bool(loops) == _has_criteria_loop(graph, criteria)
    assert loaded.contract is not None
    engine = compile_contract(loaded.contract)
    record = lead(industry="software", employees=600)
    (verdict,) = list(engine.evaluate([record], EVENTS, as_of=T0 + 10 * DAY))
    assert isinstance(verdict, Verdict)
    # Each instant here (creation, each event, as_of) is a different time, and at each one a
    # stage is entered at most once: the bound that makes the replay stop.
    entered: dict[object, list[str]] = {}
    for change in verdict.stage.history:
        entered.setdefault(change.at, []).append(change.stage)
    for stages in entered.values():
        assert len(stages) == len(set(stages)), verdict.stage.history
