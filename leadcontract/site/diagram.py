"""The lifecycle as a diagram: stages and the moves between them, drawn at build time as SVG.

Graphviz lays the graph out (the ``graphviz`` package drives the system's ``dot`` program), so
the page needs no script in the browser and works offline. Stages of the funnel run left to
right; the exits (nurture, disqualified, lost) sit where the layout puts them, with the
returns drawn dashed.
"""

from __future__ import annotations

import re

from leadcontract.model import Lifecycle, StageRole

__all__ = ["DiagramError", "lifecycle_svg"]

_EXIT_ROLES = frozenset({StageRole.NURTURE, StageRole.DISQUALIFIED, StageRole.LOST})
_ACRONYMS = frozenset({"mql", "sal", "sql"})
_COLOURS = {
    "funnel": ("#e8f0fe", "#1a56db"),
    "won": ("#def7ec", "#046c4e"),
    "exit": ("#fdf2f2", "#9b1c1c"),
}


class DiagramError(RuntimeError):
    """The diagram could not be drawn (Graphviz's ``dot`` is missing or failed)."""


def _kind(stage_role: StageRole | None, terminal: bool) -> str:
    if stage_role is StageRole.WON:
        return "won"
    if stage_role in _EXIT_ROLES:
        return "exit"
    return "won" if terminal and stage_role is None else "funnel"


def lifecycle_svg(lifecycle: Lifecycle) -> str:
    """The lifecycle diagram as standalone SVG text."""
    import graphviz  # noqa: PLC0415 - the site extra; imported when a site is built

    graph = graphviz.Digraph("lifecycle", format="svg")
    graph.attr(rankdir="LR", bgcolor="transparent", nodesep="0.35", ranksep="0.55")
    graph.attr("node", shape="box", style="rounded,filled", fontname="DejaVu Sans", fontsize="12")
    graph.attr("edge", fontname="DejaVu Sans", fontsize="10", color="#6b7280")
    order = {stage.id: i for i, stage in enumerate(lifecycle.stages)}
    exits = {stage.id for stage in lifecycle.stages if stage.effective_role in _EXIT_ROLES}
    for stage in lifecycle.stages:
        fill, line = _COLOURS[_kind(stage.effective_role, stage.terminal)]
        label = stage.id.upper() if stage.id in _ACRONYMS else stage.id.capitalize()
        graph.node(stage.id, label=label, fillcolor=fill, color=line, fontcolor=line)
    for source, targets in lifecycle.transitions().items():
        for target in targets:
            backwards = order[target] < order[source]
            # The way forward is drawn strong; the ways out (and back) light, so the funnel
            # reads first.
            forward = target not in exits and not backwards
            graph.edge(
                source,
                target,
                style="dashed" if backwards else "solid",
                constraint="false" if backwards else "true",
                color="#1a56db" if forward else "#c4c8d0",
                penwidth="1.6" if forward else "1",
            )
    try:
        svg = graph.pipe(encoding="utf-8")
    except graphviz.ExecutableNotFound as error:
        raise DiagramError(
            "the lifecycle diagram needs Graphviz's `dot` program (Debian: apt-get install "
            "graphviz)"
        ) from error
    except graphviz.CalledProcessError as error:  # pragma: no cover - dot rejects no input we make
        raise DiagramError(f"Graphviz failed to draw the lifecycle: {error}") from error
    # The XML prolog and doctype point at w3.org; a standalone <svg> needs neither.
    return re.sub(r"^.*?(?=<svg)", "", svg, flags=re.DOTALL)
