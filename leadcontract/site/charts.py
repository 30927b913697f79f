"""Charts for the dashboards: matplotlib (Agg backend) drawn to SVG text at build time.

The SVGs carry their text as text (selectable, read by screen readers, in the browser's own
sans-serif when DejaVu Sans is not installed) and need no font or script from the network.
Margins are set by hand rather than by a layout engine, so a build draws every figure once.
Output is deterministic (fixed hash salt, no date): the same figures give the same bytes.
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, cast

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "bar_chart",
    "histogram",
    "line_percent_chart",
    "load_chart",
    "percent_chart",
]

BLUE = "#1a56db"
GREEN = "#0e9f6e"
RED = "#e02424"
AMBER = "#d97706"
GREY = "#9ca3af"
_LABEL_WIDTH = 24
_STYLE = {
    "svg.hashsalt": "leadcontract",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#d1d5db",
    "axes.labelcolor": "#374151",
    "xtick.color": "#4b5563",
    "ytick.color": "#4b5563",
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
}


_P = ParamSpec("_P")


def _styled(draw: Callable[_P, str]) -> Callable[_P, str]:
    """Draw under the site's matplotlib style, leaving the caller's global rcParams alone."""

    @functools.wraps(draw)
    def styled(*args: _P.args, **kwargs: _P.kwargs) -> str:
        import matplotlib  # noqa: PLC0415 - the site extra; imported when a site is built

        matplotlib.use("Agg", force=False)
        with matplotlib.rc_context(cast(Any, _STYLE)):
            return draw(*args, **kwargs)

    return styled


def _figure(width: float, height: float, *, left: float = 0.08, bottom: float = 0.15) -> Figure:
    from matplotlib.figure import Figure  # noqa: PLC0415 - the site extra

    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(left=left, right=0.97, top=1 - 0.45 / height, bottom=bottom)
    return figure


def _wrapped(labels: Sequence[str]) -> list[str]:
    """Long bar labels on two or three lines, so the bars keep most of the width."""
    return [textwrap.fill(label, _LABEL_WIDTH) for label in labels]


def _label_margin(labels: Sequence[str]) -> float:
    """The left margin (share of an 8-inch figure) that fits the longest bar label line."""
    longest = max((len(line) for label in labels for line in label.splitlines()), default=4)
    return min(0.4, 0.03 + 0.0105 * longest)


def _whole_numbers(axis: Any) -> None:
    """Ticks only on whole numbers: a count axis reads 0, 1, 2, never 0.2 leads."""
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 - the site extra

    axis.set_major_locator(MaxNLocator(integer=True))


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, transparent=False)
    text = buffer.getvalue()
    # A standalone <svg> element is all an <img> needs; the prolog's doctype names w3.org.
    return text[text.index("<svg") :]


@_styled
def percent_chart(
    labels: Sequence[str],
    shares: Sequence[float | None],
    notes: Sequence[str],
    *,
    title: str,
    target: float | None = None,
) -> str:
    """Horizontal bars of shares (0..1) with a note at the end of each bar ("7 of 29")."""
    labels = _wrapped(labels)
    height = 0.6 * len(labels) + 1.2
    figure = _figure(8, height, left=_label_margin(labels), bottom=0.5 / height)
    axes = figure.add_subplot()
    values = [s or 0.0 for s in shares]
    colours = [
        GREEN if (s or 0) >= (target or 0.8) else AMBER if (s or 0) >= 0.5 else RED for s in shares
    ]
    axes.barh(range(len(labels)), values, color=colours, height=0.6)
    axes.set_yticks(range(len(labels)), labels)
    axes.invert_yaxis()
    axes.set_xlim(0, 1.18)
    axes.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    for i, (value, note) in enumerate(zip(values, notes, strict=True)):
        axes.text(value + 0.01, i, note, va="center", fontsize=9, color="#374151")
    if target is not None:
        axes.axvline(target, color=GREY, linestyle="--", linewidth=1)
    axes.set_title(title)
    return _svg(figure)


@_styled
def line_percent_chart(labels: Sequence[str], shares: Sequence[float | None], *, title: str) -> str:
    """Shares over time (weeks), as a line with the points marked; a ``None`` share (a week
    with nothing settled) is a gap in the line, not a segment drawn across it."""
    figure = _figure(8, 3.2)
    axes = figure.add_subplot()
    xs = [i for i, s in enumerate(shares) if s is not None]
    ys = [s for s in shares if s is not None]
    gapped = [float("nan") if s is None else s for s in shares]
    axes.plot(range(len(shares)), gapped, color=BLUE, marker="o", linewidth=2)
    for x, y in zip(xs, ys, strict=True):
        axes.annotate(
            f"{y:.0%}",
            (x, y),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=9,
            color="#374151",
        )
    axes.set_xticks(range(len(labels)), labels)
    axes.set_ylim(0, 1.1)
    axes.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    axes.grid(axis="y", color="#e5e7eb")
    axes.set_title(title)
    return _svg(figure)


@_styled
def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    value_format: str = "{:,.0f}",
    colours: Sequence[str] | None = None,
) -> str:
    """Horizontal bars of counts or amounts, each with its value written beside it."""
    labels = _wrapped(labels)
    height = 0.6 * len(labels) + 1.2
    figure = _figure(8, height, left=_label_margin(labels), bottom=0.5 / height)
    axes = figure.add_subplot()
    axes.barh(range(len(labels)), values, color=list(colours) if colours else BLUE, height=0.6)
    axes.set_yticks(range(len(labels)), labels)
    axes.invert_yaxis()
    top = max(values, default=0) or 1
    axes.set_xlim(0, top * 1.18)
    _whole_numbers(axes.xaxis)
    for i, value in enumerate(values):
        axes.text(value + top * 0.01, i, value_format.format(value), va="center", fontsize=9)
    axes.set_title(title)
    return _svg(figure)


@_styled
def histogram(labels: Sequence[str], counts: Sequence[int], *, title: str, xlabel: str) -> str:
    """Counts per bucket, as vertical bars with the count on top."""
    figure = _figure(8, 3.2, bottom=0.2)
    axes = figure.add_subplot()
    axes.bar(range(len(labels)), counts, color=BLUE, width=0.7)
    axes.set_xticks(range(len(labels)), labels)
    _whole_numbers(axes.yaxis)
    for i, count in enumerate(counts):
        axes.text(i, count, str(count), ha="center", va="bottom", fontsize=9)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("leads")
    axes.set_title(title)
    return _svg(figure)


@_styled
def load_chart(panels: Sequence[tuple[str, Sequence[str], Sequence[int], int]]) -> str:
    """Per campaign (one panel each): leads per week as bars, the capacity as a line; the part
    of a bar above the capacity (the overflow) in red."""
    columns = 2 if len(panels) > 1 else 1
    rows = (len(panels) + columns - 1) // columns
    height = 2.6 * rows + 0.5
    figure = _figure(8, height, left=0.06, bottom=0.75 / height)
    figure.subplots_adjust(hspace=0.45, wspace=0.15, top=1 - 0.35 / height)
    grid: Any = figure.subplots(rows, columns, squeeze=False)
    for index, (name, weeks, leads, capacity) in enumerate(panels):
        axes: Axes = grid[index // columns][index % columns]
        within = [min(n, capacity) for n in leads]
        over = [max(0, n - capacity) for n in leads]
        short = [w.split("-W")[-1] for w in weeks]
        axes.bar(range(len(weeks)), within, color=BLUE, width=0.7, label="within capacity")
        axes.bar(range(len(weeks)), over, bottom=within, color=RED, width=0.7, label="overflow")
        axes.axhline(capacity, color=AMBER, linestyle="--", linewidth=1.5, label="capacity")
        axes.set_xticks(range(len(weeks)), [f"W{s}" for s in short], fontsize=8)
        axes.set_ylim(0, max([capacity, *leads]) * 1.25)
        axes.set_title(name, fontsize=10)
    for index in range(len(panels), rows * columns):
        grid[index // columns][index % columns].set_visible(False)
    handles, labels = grid[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncols=3, frameon=False)
    return _svg(figure)
