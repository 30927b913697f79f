"""Benchmark of the live monitor: ingest rate, notification lag under load, memory, and what
durable_rules costs. Not a test; figures are ratios of modes run side by side in one run.

    .venv/bin/python bench/live.py                 # 4,000 leads (~30k events), all modes
    .venv/bin/python bench/live.py --leads 1000 --rate 1000

Modes (each in a fresh process, reading the same time-ordered event file):

* ``ingest-<matcher>``: post every event (batches of 100, SQLite state in a file, WAL) without
  advancing the clock; ``matcher`` is ``durable_rules`` (the monitor as shipped), ``python``
  (the same patterns as a dict lookup) or ``none`` (every event wakes its lead: no matching at
  all, the floor). durable_rules' share of ingest = (durable_rules - none) / durable_rules.
* ``live-<rate>``: the event stream replayed at ``rate`` events per wall second (the 46 days of
  the example squeezed to fit), advancing the monitor every 0.2 s to the virtual now and
  delivering notifications; lag = wall time of delivery minus the wall time the notification's
  instant stood for. Reports the rate achieved and lag percentiles.
* ``memory-<n>``: the whole replay (a day at a time) for n and 4n leads; peak RSS. With every
  lead in SQLite, memory should not grow with the number of closed leads.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "contracts" / "example"
START = datetime(2026, 10, 1, tzinfo=UTC)
AS_OF = datetime(2026, 11, 16, 17, tzinfo=UTC)


def _prepare(n_leads: int, folder: Path) -> tuple[Path, Path]:
    from leadcontract.synthetic import generate

    leads_path = folder / f"leads-{n_leads}.jsonl"
    events_path = folder / f"events-{n_leads}.jsonl"
    if leads_path.exists() and events_path.exists():
        return leads_path, events_path
    events: list[dict[str, Any]] = []
    with leads_path.open("w", encoding="utf-8") as leads:
        for lead in generate(n_leads):
            leads.write(json.dumps(lead.row) + "\n")
            events += lead.events
    events.sort(key=lambda e: e["at"])
    with events_path.open("w", encoding="utf-8") as out:
        for n, event in enumerate(events):
            out.write(json.dumps({**event, "event_id": f"e{n}"}) + "\n")
    return leads_path, events_path


def _monitor(matcher: str, state: Path, notifier: Any = None) -> Any:
    import leadcontract
    from leadcontract.engine import compile_contract
    from leadcontract.live import Monitor, SqliteStore

    result = leadcontract.lint(CONTRACT)
    assert result.contract is not None
    monitor = Monitor(
        compile_contract(result.contract), store=SqliteStore(state), notifier=notifier
    )
    if matcher == "python":
        monitor.rules.match = _python_matcher(monitor.rules.patterns)
    elif matcher == "none":
        monitor.rules.match = lambda events: ["all"] * len(events)
    return monitor


def _python_matcher(patterns: Any) -> Any:
    """The same patterns as durable_rules' ruleset, as a plain-Python first match."""

    def match(events: Any) -> list[str | None]:
        found: list[str | None] = []
        for event in events:
            name = None
            for pattern in patterns:
                if event.type not in pattern.types:
                    continue
                if pattern.channels is not None and event.channel not in pattern.channels:
                    continue
                if pattern.reasons is not None and event.reason not in pattern.reasons:
                    continue
                name = pattern.name
                break
            found.append(name)
        return found

    return match


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ingest(matcher: str, leads: Path, events: Path, state: Path) -> dict[str, Any]:
    monitor = _monitor(matcher, state)
    monitor.ingest_many(_read(leads))
    stream = _read(events)
    began = time.perf_counter()
    for i in range(0, len(stream), 100):
        monitor.post_many(stream[i : i + 100])
    seconds = time.perf_counter() - began
    return {"events": len(stream), "seconds": seconds, "events_per_s": len(stream) / seconds}


class _Clocked:
    """A notifier that notes the wall time of each delivery."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []

    def send(self, notification_id: str, payload: Any) -> None:
        self.sent.append((time.perf_counter(), payload["instant"]))


def run_live(rate: float, leads: Path, events: Path, state: Path) -> dict[str, Any]:
    notifier = _Clocked()
    monitor = _monitor("durable_rules", state, notifier)
    stream = _read(events)
    stream = [e for e in stream if e["at"] <= AS_OF.isoformat().replace("+00:00", "Z")]
    monitor.ingest_many(_read(leads))
    monitor.advance(START)
    notifier.sent.clear()
    span = (AS_OF - START).total_seconds()
    wall = len(stream) / rate
    speed = span / wall  # virtual seconds per wall second
    began = time.perf_counter()
    i = 0
    judged = 0
    while i < len(stream):
        elapsed = time.perf_counter() - began
        now = min(START + timedelta(seconds=elapsed * speed), AS_OF)
        stamp = now.isoformat().replace("+00:00", "Z")
        j = i
        while j < len(stream) and stream[j]["at"] <= stamp:
            j += 1
        for k in range(i, j, 100):
            monitor.post_many(stream[k : min(k + 100, j)])
        i = j
        judged += monitor.advance(now).judged
        time.sleep(max(0.0, 0.2 - (time.perf_counter() - began - elapsed)))
    seconds = time.perf_counter() - began
    lags = sorted(
        sent
        - (
            began
            + (datetime.fromisoformat(instant.replace("Z", "+00:00")) - START).total_seconds()
            / speed
        )
        for sent, instant in notifier.sent
        if datetime.fromisoformat(instant.replace("Z", "+00:00")) > START
    )

    def pct(q: float) -> float:
        return lags[min(len(lags) - 1, int(q * len(lags)))] if lags else 0.0

    return {
        "events": len(stream),
        "seconds": seconds,
        "events_per_s": len(stream) / seconds,
        "judged": judged,
        "notifications": len(lags),
        "lag_p50_s": pct(0.5),
        "lag_p95_s": pct(0.95),
        "lag_max_s": lags[-1] if lags else 0.0,
    }


def run_memory(leads: Path, events: Path, state: Path) -> dict[str, Any]:
    monitor = _monitor("durable_rules", state)
    with leads.open(encoding="utf-8") as handle:  # streamed: only the monitor's memory counts
        chunk: list[dict[str, Any]] = []
        for line in handle:
            chunk.append(json.loads(line))
            if len(chunk) == 500:
                monitor.ingest_many(chunk)
                chunk = []
        monitor.ingest_many(chunk)
    now = START
    with events.open(encoding="utf-8") as handle:
        pending: list[dict[str, Any]] = []
        for line in handle:
            event = json.loads(line)
            while event["at"] > (now + timedelta(days=1)).isoformat().replace("+00:00", "Z"):
                monitor.post_many(pending)
                pending = []
                now += timedelta(days=1)
                monitor.advance(now)
            pending.append(event)
        monitor.post_many(pending)
    monitor.advance(AS_OF + timedelta(days=30))
    return {"peak_mib": _peak_mib(), **monitor.store.counts()}


def _child(args: argparse.Namespace) -> int:
    leads, events, state = Path(args.leads_file), Path(args.events_file), Path(args.state)
    if args.mode.startswith("ingest-"):
        out = run_ingest(args.mode.removeprefix("ingest-"), leads, events, state)
    elif args.mode.startswith("live-"):
        out = run_live(float(args.mode.removeprefix("live-")), leads, events, state)
    else:
        out = run_memory(leads, events, state)
    print(json.dumps(out))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=4000)
    parser.add_argument("--rate", type=float, action="append", help="events/s for live mode")
    parser.add_argument("--mode")
    parser.add_argument("--leads-file")
    parser.add_argument("--events-file")
    parser.add_argument("--state")
    args = parser.parse_args(argv)
    if args.mode:
        return _child(args)
    rates = args.rate or [200.0, 1000.0, 5000.0]
    data = ROOT / "bench" / ".data"
    data.mkdir(parents=True, exist_ok=True)
    sizes = {args.leads: _prepare(args.leads, data)}
    small = max(args.leads // 4, 100)
    sizes[small] = _prepare(small, data)
    plan = [(f"ingest-{m}", args.leads) for m in ("durable_rules", "python", "none")]
    plan += [(f"live-{int(rate)}", args.leads) for rate in rates]
    plan += [("memory", small), ("memory", args.leads)]
    results: list[tuple[str, int, dict[str, Any]]] = []
    for mode, n in plan:
        leads, events = sizes[n]
        with tempfile.TemporaryDirectory() as tmp:
            command = [
                sys.executable, __file__, "--mode", mode, "--leads-file", str(leads),
                "--events-file", str(events), "--state", str(Path(tmp) / "state.db"),
            ]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            sys.stderr.write(done.stderr)
            return 1
        out = json.loads(done.stdout.strip().splitlines()[-1])
        results.append((mode, n, out))
        print(f"{mode:>22} {n:>6} leads  " + "  ".join(f"{k}={_fmt(v)}" for k, v in out.items()))
    ingest = {mode: out for mode, _, out in results if mode.startswith("ingest-")}
    dr = ingest["ingest-durable_rules"]["seconds"]
    floor = ingest["ingest-none"]["seconds"]
    python = ingest["ingest-python"]["seconds"]
    print(
        f"\ndurable_rules share of ingest: {(dr - floor) / dr:.0%} "
        f"(durable_rules {dr / floor:.2f}x the no-matching floor, "
        f"plain Python {python / floor:.2f}x)"
    )
    memory = [out["peak_mib"] for mode, _, out in results if mode == "memory"]
    print(f"peak memory, {small} vs {args.leads} leads: {memory[0]:.0f} vs {memory[1]:.0f} MiB")
    return 0


def _fmt(value: Any) -> str:
    return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"


if __name__ == "__main__":
    raise SystemExit(main())
