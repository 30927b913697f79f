"""Benchmark of the live monitor: ingest rate, notification lag under load, memory, and what
durable_rules costs. Not a test; figures are ratios of modes run side by side in one run.

    .venv/bin/python bench/live.py                       # every mode, default sizes
    .venv/bin/python bench/live.py --rate 2000 --seconds 10

Modes (each in a fresh process, SQLite state in a file, WAL):

* ``ingest-<matcher>``: post the example contract's synthetic events (4,000 leads, in time
  order, batches of 100) without advancing the clock. ``matcher``: ``durable_rules`` (as
  shipped: durable_rules decides each distinct (type, channel, reason) once, the answer is
  remembered), ``durable_rules-each`` (every event posted into durable_rules), ``python``
  (the same patterns as a plain-Python first match) or ``none`` (every event wakes its lead:
  no matching at all, the floor). durable_rules' share = (matcher - none) / matcher.
* ``live-<rate>``: a virtual clock that runs at wall speed from a Tuesday 17:00 UTC. Waiting
  in the monitor are demo-request leads whose 4-hour first-touch clocks cross 50 %, 75 % or
  their due time during the run (the deadlines); meanwhile new leads arrive and their
  synthetic events stream in at ``rate`` events per second, each stamped with the virtual
  now (the load). Every 50 ms the loop posts what has arrived and advances the monitor to
  now, which delivers. Lag of a notification = the wall time of its delivery minus the wall
  time its instant stood for. Reports the rate achieved and lag p50 / p99 / max.
* ``memory-<n>``: the whole 46-day replay (a day at a time, then 30 days on) for n and 4n
  leads; peak RSS and the leads whose history is still in memory at the end.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
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
    if matcher == "durable_rules-each":
        monitor.rules.remember = False
    elif matcher == "python":
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
        self.sent: list[tuple[float, str, str]] = []

    def send(self, notification_id: str, payload: Any) -> None:
        self.sent.append((time.perf_counter(), payload["instant"], payload["kind"]))


MOST = 150
"""Event-woken leads judged per advance at most (deadlines first, then these; the rest wait)."""

T0 = datetime(2026, 10, 6, 17, tzinfo=UTC)
"""The live run's virtual start: a Tuesday, 13:00 in New York (the deadline leads' owners)."""


def _stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _waiting(n: int, seconds: float) -> list[dict[str, Any]]:
    """Demo-request leads submitted so that one of their first-touch instants (50 %, 75 % of
    4 business hours, or the due time) falls within the run, spread evenly over it."""
    from leadcontract.synthetic import generate

    found: list[dict[str, Any]] = []
    for lead in generate(n * 4, seed=7):
        if lead.row.get("CampaignId") != "demo-request" or len(found) >= n:
            continue
        k = len(found)
        crosses = timedelta(hours=(2, 3, 4)[k % 3])  # 50 %, 75 %, due
        offset = crosses - timedelta(seconds=seconds * (k + 0.5) / n)
        submitted = _stamp(T0 - offset)
        found.append(
            {
                **lead.row,
                "Id": f"W{k:06d}",
                "OwnerId": ("ava", "carl")[k % 2],  # New York: the clock runs all the while
                "CreatedDate": submitted,
                "form_submitted_at": submitted,
            }
        )
    return found


def run_live(rate: float, leads: Path, events: Path, state: Path, seconds: float) -> dict[str, Any]:
    notifier = _Clocked()
    monitor = _monitor("durable_rules", state, notifier)
    records = {row["Id"]: row for row in _read(leads)}
    stream = _read(events)[: int(rate * seconds)]
    waiting = _waiting(max(300, int(seconds * 60)), seconds)
    monitor.ingest_many(waiting)
    monitor.advance(T0)  # the deadline leads' earlier warnings leave now, before the run
    notifier.sent.clear()
    fresh: set[str] = set()
    given_leads: list[dict[str, Any]] = list(waiting)
    given_events: list[dict[str, Any]] = []
    began = time.perf_counter()
    posted = 0
    tally = _Tally(monitor, began)
    limited = "most" in inspect.signature(monitor.advance).parameters
    limit = {"most": MOST} if limited else {}
    between = {"most": 0} if limited else {}  # deadlines only
    all_in = 0.0  # when the last event was posted
    while True:
        elapsed = time.perf_counter() - began
        now = T0 + timedelta(seconds=elapsed)
        stamp = _stamp(now)
        arrived = stream[posted : min(len(stream), int(elapsed * rate))]
        new = _new_leads(arrived, records, fresh, stamp)
        if new:
            monitor.ingest_many(new)
            given_leads += new
        stamped = [{**e, "at": stamp} for e in arrived]
        given_events += stamped
        for k in range(0, len(stamped), 500):  # as webhook requests of 500 events would come
            monitor.post_many(stamped[k : k + 500])
            if k + 500 < len(stamped):  # and the ticker's rounds between them
                tally.advance(now, between)
        posted += len(arrived)
        if arrived and posted == len(stream):
            all_in = time.perf_counter() - began
        tally.advance(now, limit)
        if posted >= len(stream) and elapsed >= seconds + 1:
            break
        time.sleep(max(0.0, 0.05 - (time.perf_counter() - began - elapsed)))
    wall = time.perf_counter() - began
    drained = time.perf_counter()
    monitor.advance(T0 + timedelta(seconds=wall))  # without ``most``: every lead left
    drain_s = time.perf_counter() - drained
    # The floor for judging: the batch engine on the same leads and events, same process.
    before = time.perf_counter()
    batch = sum(
        1 for _ in monitor.compiled.evaluate(given_leads, given_events, as_of=now, trace=False)
    )
    batch_s = time.perf_counter() - before
    return {
        "offered_per_s": rate,
        "events": posted,
        "events_per_s": posted / all_in if all_in else 0.0,
        "judged": tally.judged,
        **_lags(notifier.sent, began),
        "wall_s": wall,
        "judging_share": tally.judging / wall,
        "most_deferred": tally.backlog,
        "drain_s": drain_s,
        "judged_per_s": tally.judged / tally.judging if tally.judging else 0.0,
        "batch_verdicts_per_s": batch / batch_s,
    }


class _Tally:
    """Advances the monitor to the virtual now, counting what judging took."""

    def __init__(self, monitor: Any, began: float) -> None:
        self.monitor = monitor
        self.began = began
        self.judged = 0
        self.judging = 0.0  # seconds spent in advance (judging, queueing, delivering)
        self.backlog = 0  # the most event-woken leads left for a later advance

    def advance(self, now: datetime, options: dict[str, int]) -> None:
        before = time.perf_counter()
        # The virtual clock runs at wall speed from T0 (never before ``now``).
        later = max(now, T0 + timedelta(seconds=before - self.began))
        step = self.monitor.advance(later, **options)
        self.judging += time.perf_counter() - before
        self.judged += step.judged
        self.backlog = max(self.backlog, getattr(step, "deferred", 0))


def _new_leads(
    arrived: list[dict[str, Any]], records: dict[str, Any], fresh: set[str], stamp: str
) -> list[dict[str, Any]]:
    """The records of leads whose first event arrived (a CRM sends the record first)."""
    new = []
    for event in arrived:
        lead_id = event["lead_id"]
        if lead_id not in fresh and lead_id in records:
            fresh.add(lead_id)
            new.append({**records[lead_id], "CreatedDate": stamp, "form_submitted_at": ""})
    return new


_DEADLINES = frozenset({"warning", "breach", "escalation"})
"""Notifications that time brings (the others follow an event: handoff or feedback due, a
correction); the 1-second promise is about these."""


def _lags(sent: list[tuple[float, str, str]], began: float) -> dict[str, Any]:
    """Delivery wall time minus the wall time each notification's instant stood for: for the
    deadline notifications, and for those an event caused (their instant is the event's)."""
    out: dict[str, Any] = {}
    for name, deadline in (("", True), ("event_", False)):
        lags = sorted(
            at - (began + (_instant(instant) - T0).total_seconds())
            for at, instant, kind in sent
            if _instant(instant) > T0 and (kind in _DEADLINES) == deadline
        )

        def pct(q: float, lags: list[float] = lags) -> float:
            return lags[min(len(lags) - 1, int(q * len(lags)))] if lags else 0.0

        out |= {
            f"{name}notifications": len(lags),
            f"{name}lag_p50_s": pct(0.5),
            f"{name}lag_p99_s": pct(0.99),
            f"{name}lag_max_s": lags[-1] if lags else 0.0,
        }
    return out


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def run_memory(leads: Path, events: Path, state: Path) -> dict[str, Any]:
    """The 46 days a day at a time (records as they are created, then their events), and 30
    quiet days after: the leads in memory (and RSS) against the leads seen so far."""
    monitor = _monitor("durable_rules", state)
    records = _read(leads)  # creation order
    stream = _read(events)
    now, r, e = START, 0, 0
    series: list[tuple[int, int, int, float]] = []
    day = 0
    while now < AS_OF + timedelta(days=32):
        now += timedelta(days=1)
        day += 1
        stamp = _stamp(now)
        fresh = []
        while r < len(records) and records[r]["CreatedDate"].replace("+0000", "Z") <= stamp:
            fresh.append(records[r])
            r += 1
        monitor.ingest_many(fresh)
        arrived = []
        while e < len(stream) and stream[e]["at"] <= stamp:
            arrived.append(stream[e])
            e += 1
        monitor.post_many(arrived)
        monitor.advance(now)
        if day % 8 == 0 or now >= AS_OF + timedelta(days=32):
            series.append((day, r, monitor.leads_in_memory, _rss_mib()))
    return {
        "peak_mib": _peak_mib(),
        "in_memory": monitor.leads_in_memory,
        "series": " ".join(f"d{d}:{n}/{o}/{m:.0f}MiB" for d, n, o, m in series),
        **monitor.store.counts(),
    }


def _child(args: argparse.Namespace) -> int:
    leads, events, state = Path(args.leads_file), Path(args.events_file), Path(args.state)
    if args.mode.startswith("ingest-"):
        out = run_ingest(args.mode.removeprefix("ingest-"), leads, events, state)
    elif args.mode.startswith("live-"):
        rate = float(args.mode.removeprefix("live-"))
        out = run_live(rate, leads, events, state, args.seconds)
    else:
        out = run_memory(leads, events, state)
    print(json.dumps(out))
    return 0


BEFORE = "262566521f9784370cbd60fcd10bd9e731a68b49"
"""The monitor before open leads were kept in memory (it read and typed a lead's whole history
from SQLite at each judgment, and bisected for an overdue clock's breach)."""

REPEATS = 3
"""Ingest runs per matcher, interleaved; the fastest counts (the machine is shared)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=4000)
    parser.add_argument("--rate", type=float, action="append", help="events/s for live mode")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of a live run")
    parser.add_argument("--before", default=BEFORE, help="git revision of the baseline monitor")
    parser.add_argument("--mode")
    parser.add_argument("--leads-file")
    parser.add_argument("--events-file")
    parser.add_argument("--state")
    args = parser.parse_args(argv)
    if args.mode:
        return _child(args)
    rates = args.rate or [1000.0, 2000.0, 5000.0]
    data = ROOT / "bench" / ".data" / "live"
    data.mkdir(parents=True, exist_ok=True)
    sizes = {args.leads: _prepare(args.leads, data)}
    small = max(args.leads // 4, 100)
    sizes[small] = _prepare(small, data)
    matchers = ("durable_rules", "durable_rules-each", "python", "none")
    plan: list[tuple[str, int, bool]] = [
        (f"ingest-{m}", args.leads, False) for _ in range(REPEATS) for m in matchers
    ]
    plan += [("ingest-durable_rules", args.leads, True) for _ in range(REPEATS)]
    busy = max(args.leads, int(max(rates) * args.seconds / 7))  # ~7.7 events per lead
    sizes[busy] = _prepare(busy, data)
    plan += [(f"live-{int(rate)}", busy, old) for rate in rates for old in (False, True)]
    plan += [("memory", small, False), ("memory", args.leads, False)]
    results: list[tuple[str, int, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as before:
        _checkout(args.before, Path(before))
        for mode, n, old in plan:
            out = _run(mode, sizes[n], args.seconds, Path(before) if old else None)
            if out is None:
                return 1
            label = f"{mode}{' (before)' if old else ''}"
            results.append((label, n, out))
            print(
                f"{label:>31} {n:>6} leads  " + "  ".join(f"{k}={_fmt(v)}" for k, v in out.items())
            )
    _summary(results, matchers, small, args.leads)
    return 0


def _checkout(revision: str, folder: Path) -> None:
    """The package as it was at ``revision``, unpacked into ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "leadcontract"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)


def _run(
    mode: str, files: tuple[Path, Path], seconds: float, package: Path | None
) -> dict[str, Any] | None:
    """One mode in a fresh process (with the package at ``package`` first on its path)."""
    env = dict(os.environ)
    if package is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable, __file__, "--mode", mode, "--leads-file", str(files[0]),
            "--events-file", str(files[1]), "--state", str(Path(tmp) / "state.db"),
            "--seconds", str(seconds),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode:
        sys.stderr.write(done.stderr)
        return None
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def _summary(
    results: list[tuple[str, int, dict[str, Any]]], matchers: tuple[str, ...], small: int, n: int
) -> None:
    fastest: dict[str, float] = {}
    for label, _, out in results:
        if label.startswith("ingest-"):
            fastest[label] = min(fastest.get(label, float("inf")), out["seconds"])
    floor = fastest["ingest-none"]
    print(f"\ningest, fastest of {REPEATS} (events/s = {results[0][2]['events']:,} / seconds):")
    for label, took in fastest.items():
        print(
            f"  {label:>31}: {results[0][2]['events'] / took:>9,.0f} events/s, "
            f"{took / floor:.2f}x the no-matching floor "
            f"(share of ingest {(took - floor) / took:.0%})"
        )
    live = {label: out for label, _, out in results if label.startswith("live-")}
    for label, out in live.items():
        if label.endswith("(before)"):
            continue
        old = live[f"{label} (before)"]
        print(
            f"  {label}: deadline lag p99 {out['lag_p99_s']:.2f} s vs {old['lag_p99_s']:.2f} s "
            f"before, event-caused {out['event_lag_p99_s']:.2f} s vs "
            f"{old['event_lag_p99_s']:.2f} s; "
            f"judgments per second of judging {out['judged_per_s']:,.0f} vs "
            f"{old['judged_per_s']:,.0f} before "
            f"({out['judged_per_s'] / old['judged_per_s']:.1f}x); "
            f"batch engine on the same data {out['batch_verdicts_per_s']:,.0f} verdicts/s "
            f"(judging costs {out['batch_verdicts_per_s'] / out['judged_per_s']:.2f}x a verdict)"
        )
    memory = [out for label, _, out in results if label == "memory"]
    print(
        f"peak memory, {small} vs {n} leads: {memory[0]['peak_mib']:.0f} vs "
        f"{memory[1]['peak_mib']:.0f} MiB ({memory[1]['peak_mib'] / memory[0]['peak_mib']:.2f}x); "
        f"leads in memory at the end: {memory[0]['in_memory']} vs {memory[1]['in_memory']} "
        "(series: day:leads seen/leads in memory/RSS)"
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


if __name__ == "__main__":
    raise SystemExit(main())
