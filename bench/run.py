"""Benchmark: the engine against the floors, its options against each other, in one run.

    python bench/run.py                      # 10k and 100k leads
    python bench/run.py --sizes 10000 100000 1000000
    python bench/run.py --sizes 10000 --modes io-floor tight engine-no-trace

For each size it generates the example contract's data once (``leadcontract.synthetic``,
cached under ``bench/.data/``), then runs every mode one after the other, each in a fresh
process (so peak memory is its own), all on the same CSV and JSON Lines files:

* floors: ``io-floor`` (only parse the files: polars, msgspec), ``handwritten``
  (bench/baseline.py), ``tight`` and ``tight-orjson`` (bench/tight.py: the same rules,
  tuned; with the standard json module or orjson);
* the engine in-process, streaming (``grouped``): ``engine-no-slas`` (the rules the floors
  implement), ``engine-no-trace`` and ``engine-trace`` (the whole contract);
* the command line end to end (capacity pass, JSON Lines out, no traces): ``cli-1`` and
  ``cli-2`` (``--workers 2``), ``cli-grouped`` (sorted input streamed), ``cli-spill-1`` and
  ``cli-spill-2`` (``--spill``: partitions on disk, bounded memory); ``cli-trace`` is
  ``cli-1`` with traces (the command's default); ``cli-audit`` the same storing every verdict
  in a new audit store (``--audit``);
* ``spark``: leadcontract.spark in local mode on 2 cores, verdicts written as text (JVM
  start included; the seconds after the session started are printed beside it).

It prints wall seconds, CPU seconds (the process and its children), leads per second, peak
RSS and the ratios the README reports. ``--check`` first compares the hand-written floors'
outputs lead by lead.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
AS_OF = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)
MODES = (
    "io-floor",
    "handwritten",
    "tight",
    "tight-orjson",
    "engine-no-slas",
    "engine-no-trace",
    "engine-trace",
    "cli-1",
    "cli-trace",
    "cli-audit",
    "cli-2",
    "cli-grouped",
    "cli-spill-1",
    "cli-spill-2",
    "spark",
)
CLI_MODES = {
    "cli-1": ["--workers", "1"],
    "cli-trace": ["--workers", "1", "--trace"],
    "cli-audit": ["--workers", "1", "--trace", "--audit"],
    "cli-2": ["--workers", "2"],
    "cli-grouped": ["--grouped"],
    "cli-spill-1": ["--spill"],
    "cli-spill-2": ["--spill", "--workers", "2"],
}
"""The command line's options of each ``cli-`` mode (besides --out, and --no-trace unless the
options say ``--trace``: that one is the command's default, traces on; ``--audit`` is given
a new store in the run's scratch folder)."""
RATIOS = (
    ("engine-no-trace", "io-floor", "engine (no traces) vs I/O floor"),
    ("cli-1", "io-floor", "CLI end to end (no traces) vs I/O floor"),
    ("engine-no-slas", "tight-orjson", "engine on the floor's rules vs tight floor"),
    ("handwritten", "tight-orjson", "old floor (baseline.py) vs tight floor"),
    ("tight", "tight-orjson", "tight floor, json vs orjson"),
    ("engine-trace", "engine-no-trace", "traces on vs off"),
    ("cli-trace", "cli-1", "CLI traces on vs off (traced output 2.7x the bytes)"),
    ("cli-audit", "cli-trace", "--audit (every verdict stored, masked, hash-chained) vs not"),
    ("cli-2", "cli-1", "--workers 2 vs 1 (wall)"),
    ("cli-grouped", "cli-1", "--grouped (sorted input, streamed) vs in memory"),
    ("cli-spill-1", "cli-1", "--spill vs in memory, one process"),
    ("cli-spill-2", "cli-2", "--spill vs in memory, 2 workers"),
    ("spark", "cli-1", "Spark local[2] vs one process (wall)"),
)


def dataset(n: int) -> tuple[Path, Path]:
    from leadcontract.synthetic import write_dataset

    folder = DATA / f"v2-{n}"  # v2: generated in blocks (synthetic.BLOCK)
    leads, events = folder / "leads.csv", folder / "events.jsonl"
    if not (leads.exists() and events.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        write_dataset(folder, n)
    return leads, events


_PHASES: dict[str, float] = {}
"""Further figures a mode reports about itself (``spark``: seconds after the JVM started)."""


def measure(mode: str, leads: Path, events: Path) -> dict[str, float]:
    """Run one mode in this process; return seconds, CPU seconds, leads and peak RSS (MiB)."""
    start = time.perf_counter()
    count = _run(mode, leads, events)
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    peak = max(own.ru_maxrss, children.ru_maxrss) / 1024
    return {"seconds": seconds, "cpu": cpu, "leads": count, "peak_mib": peak, **_PHASES}


def _run(mode: str, leads: Path, events: Path) -> int:
    sys.path.insert(0, str(ROOT / "bench"))
    if mode == "io-floor":
        from iofloor import run as parse

        return parse(leads, events)[0]
    if mode == "handwritten":
        from baseline import run as baseline

        return sum(1 for _ in baseline(leads, events, AS_OF))
    if mode in ("tight", "tight-orjson"):
        from tight import run as tight

        if mode == "tight":
            loads = json.loads
        else:
            import orjson

            loads = orjson.loads
        return sum(1 for _ in tight(leads, events, AS_OF, loads))
    if mode in CLI_MODES:
        return _cli(CLI_MODES[mode], leads, events)
    if mode == "spark":
        return _spark(leads, events)
    import leadcontract
    from leadcontract.engine import compile_contract

    contract = leadcontract.load(ROOT / "contracts" / "example").contract
    assert contract is not None
    if mode == "engine-no-slas":
        contract = contract.model_copy(update={"slas": {}, "spiffs": {}})
    evaluation = compile_contract(contract).evaluate(
        leads, events, as_of=AS_OF, trace=mode == "engine-trace", grouped=True
    )
    count = sum(1 for _ in evaluation)
    assert evaluation.counts.reconciles
    return count


def _cli(options: list[str], leads: Path, events: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "verdicts.jsonl"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "leadcontract",
                "evaluate",
                str(ROOT / "contracts" / "example"),
                "--leads",
                str(leads),
                "--events",
                str(events),
                "--as-of",
                AS_OF.isoformat(),
                *([] if "--trace" in options else ["--no-trace"]),
                "--out",
                str(out),
                *[option for option in options if option not in ("--trace", "--audit")],
                *(["--audit", str(Path(scratch) / "audit.db")] if "--audit" in options else []),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            # Not the checkout: `-m` puts the working folder first on the path, ahead of an
            # earlier checkout's PYTHONPATH (--before), whose leadcontract must be the one run.
            cwd=scratch,
        )
        with out.open("rb") as lines:
            return sum(1 for _ in lines)


def local_spark() -> Any:
    """The benchmarks' Spark: local mode on both cores, loopback only, no UI."""
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def read_frames(spark: Any, leads: Path, events: Path) -> tuple[Any, Any]:
    """The lead CSV and the event JSON Lines as DataFrames, every value read as text."""
    lead_frame = spark.read.option("header", True).option("escape", '"').csv(str(leads))
    event_frame = spark.read.option("primitivesAsString", True).json(str(events))
    return lead_frame, event_frame


def _spark(leads: Path, events: Path) -> int:
    import leadcontract
    from leadcontract.spark import evaluate

    spark = local_spark()
    started = time.perf_counter()
    try:
        contract = leadcontract.load(ROOT / "contracts" / "example").contract
        assert contract is not None
        lead_frame, event_frame = read_frames(spark, leads, events)
        result = evaluate(contract, lead_frame, event_frame, as_of=AS_OF, trace=False)
        with tempfile.TemporaryDirectory() as scratch:
            result.verdicts.select("verdict").write.text(str(Path(scratch) / "verdicts"))
        count = int(result.verdicts.count())
        _PHASES["after_start"] = time.perf_counter() - started
        own = resource.getrusage(resource.RUSAGE_SELF)
        _PHASES["cpu"] = own.ru_utime + own.ru_stime + _descendants_cpu()
        return count
    finally:
        spark.stop()


def _descendants_cpu() -> float:
    """CPU seconds of this process's live descendants and of the children they reaped (the
    JVM, Spark's Python daemon and its workers), from /proc; 0 where there is none."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        ticks[pid] = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    mine = {os.getpid()}
    while True:
        more = {pid for pid, parent in parents.items() if parent in mine} - mine
        if not more:
            break
        mine |= more
    mine.discard(os.getpid())
    return sum(ticks[pid] for pid in mine) / os.sysconf("SC_CLK_TCK")


def check(leads: Path, events: Path) -> None:
    """The floors must agree before their times mean anything."""
    import orjson

    sys.path.insert(0, str(ROOT / "bench"))
    from baseline import run as baseline
    from tight import run as tight

    pairs = zip(
        baseline(leads, events, AS_OF), tight(leads, events, AS_OF, orjson.loads), strict=True
    )
    for count, (old, new) in enumerate(pairs, start=1):
        if old != new:
            raise SystemExit(f"the floors disagree on lead {count}: {old} != {new}")
    print(f"floors agree on {count:,} leads")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--check", action="store_true", help="compare the floors first")
    parser.add_argument("--measure", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--leads", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--events", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of an earlier revision (git worktree add): each engine-* and cli-* "
        "mode runs again right after, importing that checkout's leadcontract (same data, same "
        "floors; the CLI's own process inherits the import path)",
    )
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.leads, args.events)))
        return 0
    header = (
        f"{'leads':>9}  {'mode':<16} {'seconds':>8} {'cpu s':>8} {'leads/s':>9} {'peak MiB':>9}"
    )
    for n in args.sizes:
        leads, events = dataset(n)
        if args.check:
            check(leads, events)
        print(header)
        print("-" * len(header))
        results: dict[str, dict[str, float]] = {}
        ratios = list(RATIOS)
        for mode in args.modes:
            runs: list[tuple[str, dict[str, str] | None]] = [(mode, None)]
            if args.before is not None and mode.startswith(("engine-", "cli-")):
                before = dict(os.environ, PYTHONPATH=str(args.before.resolve()))
                runs.append((f"{mode}@before", before))
                ratios.append((f"{mode}@before", mode, f"{mode}: before vs now"))
            for name, env in runs:
                command = [sys.executable, __file__, "--measure", mode]
                command += ["--leads", str(leads), "--events", str(events)]
                output = subprocess.run(
                    command, check=True, capture_output=True, text=True, env=env
                ).stdout
                r = results[name] = json.loads(output.strip().splitlines()[-1])
                print(
                    f"{n:>9,}  {name:<16} {r['seconds']:>8.2f} {r['cpu']:>8.2f} "
                    f"{r['leads'] / r['seconds']:>9,.0f} {r['peak_mib']:>9.0f}",
                    flush=True,
                )
                if "after_start" in r:
                    print(f"{'':>9}  {'':<16} {r['after_start']:>8.2f}  (after the JVM started)")
        for slow, fast, label in ratios:
            if slow in results and fast in results:
                wall = results[slow]["seconds"] / results[fast]["seconds"]
                cpu = results[slow]["cpu"] / results[fast]["cpu"]
                print(f"{'':>9}  {label}: {wall:.2f}x wall, {cpu:.2f}x CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
