"""The contract's conditions in other rule engines, side by side in one run.

The example contract's ten conditions (five fit rules, the MQL criteria, four buyer stages)
are evaluated on every lead of a synthetic set by each engine, each from its own compiled
form, on the record in the shape that engine reads (built before timing):

* ``python``: the same ten conditions written by hand as Python functions (the floor);
* ``leadcontract``: the contract's compiled conditions (``compile_condition``), as the
  engine runs them;
* ``zen-engine``: GoRules' engine (Rust), each condition a compiled expression
  (``zen.compile_expression``);
* ``rule-engine``: ``rule_engine.Rule`` (pure Python, its own grammar);
* ``cel``: Google's Common Expression Language (``celpy``, pure Python);
* ``durable_rules``: the MQL criteria only (the live monitor's engine; a ruleset consumes a
  message, so one post answers one rule), on the first ``--durable`` leads.

Every engine must find the same leads for every condition (checked before any time is shown).
Not a test; the figures are per-lead CPU microseconds and ratios against ``python``.

    .venv/bin/python bench/engines.py                      # 20k leads, durable_rules on 5,000
    .venv/bin/python bench/engines.py --leads 10000 --rounds 3
"""

from __future__ import annotations

import argparse
import contextlib
import random
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import leadcontract  # noqa: E402
from leadcontract.inputs import RawRecord, read_rows  # noqa: E402
from leadcontract.rules.conditions import compile_condition, parse_condition  # noqa: E402
from leadcontract.scopes import build_scope, condition_sites  # noqa: E402

EVENT_TYPES = ("pricing_page_visit", "demo_requested", "meeting", "competitor_comparison_download")
SENIOR = r"(?i)\b(vp|vice president|director|head|chief|c[eitfo]o)\b"
FREEMAIL = r"(?i)@(gmail|yahoo|hotmail|outlook)\."

# The ten conditions in each engine's language, in the contract's order (checked below).
NAMES = (
    "fit/icp-industry",
    "fit/mid-market",
    "fit/enterprise",
    "fit/senior-title",
    "fit/personal-email",
    "stage/mql",
    "buyer/interest",
    "buyer/intent",
    "buyer/consideration",
    "buyer/comparison",
)
INDUSTRIES = ("software", "financial-services", "manufacturing")
_SENIOR, _FREEMAIL = re.compile(SENIOR), re.compile(FREEMAIL)


def _python() -> list[Callable[[Mapping[str, Any]], bool]]:
    def number(record: Mapping[str, Any], key: str) -> float | None:
        value = record.get(key)
        return value if isinstance(value, int | float) else None

    return [
        lambda r: r.get("industry") in INDUSTRIES,
        lambda r: (n := number(r, "employees")) is not None and n >= 200,
        lambda r: (n := number(r, "employees")) is not None and n >= 2000,
        lambda r: isinstance(t := r.get("title"), str) and _SENIOR.search(t) is not None,
        lambda r: isinstance(e := r.get("email"), str) and _FREEMAIL.search(e) is not None,
        lambda r: r["score"] >= 60 and r["fit_score"] >= 20 and r.get("email") is not None,
        lambda r: r["engagement_score"] >= 10,
        lambda r: r["events.pricing_page_visit"] >= 1 or r["events.demo_requested"] >= 1,
        lambda r: r["events.meeting"] >= 1,
        lambda r: r["events.competitor_comparison_download"] >= 1,
    ]


ZEN = (
    'industry in ["software", "financial-services", "manufacturing"]',
    "employees != null and employees >= 200",
    "employees != null and employees >= 2000",
    f'title != null and matches(title, "{SENIOR}")',  # zen's strings have no escapes
    f'email != null and matches(email, "{FREEMAIL}")',
    "score >= 60 and fit_score >= 20 and email != null",
    "engagement_score >= 10",
    "events.pricing_page_visit >= 1 or events.demo_requested >= 1",
    "events.meeting >= 1",
    "events.competitor_comparison_download >= 1",
)
RULE_ENGINE = (
    'industry in ["software", "financial-services", "manufacturing"]',
    "employees != null and employees >= 200",
    "employees != null and employees >= 2000",
    f'title != null and title =~~ "{SENIOR.replace(chr(92), chr(92) * 2)}"',
    f'email != null and email =~~ "{FREEMAIL.replace(chr(92), chr(92) * 2)}"',
    "score >= 60 and fit_score >= 20 and email != null",
    "engagement_score >= 10",
    "events['pricing_page_visit'] >= 1 or events['demo_requested'] >= 1",
    "events['meeting'] >= 1",
    "events['competitor_comparison_download'] >= 1",
)
CEL = (
    'has(r.industry) && r.industry in ["software", "financial-services", "manufacturing"]',
    "has(r.employees) && r.employees >= 200",
    "has(r.employees) && r.employees >= 2000",
    f'has(r.title) && r.title.matches("{SENIOR.replace(chr(92), chr(92) * 2)}")',
    f'has(r.email) && r.email.matches("{FREEMAIL.replace(chr(92), chr(92) * 2)}")',
    "r.score >= 60.0 && r.fit_score >= 20.0 && has(r.email)",
    "r.engagement_score >= 10.0",
    "r.events.pricing_page_visit >= 1 || r.events.demo_requested >= 1",
    "r.events.meeting >= 1",
    "r.events.competitor_comparison_download >= 1",
)


def records(leads: Path, n: int) -> list[dict[str, Any]]:
    """The first ``n`` leads of ``leads``, coerced as the engine coerces them, with scores
    and event counts drawn at random (the comparison is of conditions, not scoring)."""
    contract = leadcontract.load(ROOT / "contracts" / "example").contract
    assert contract is not None
    coercer = leadcontract.compile_contract(contract).lead_coercer
    draw = random.Random(14)
    found: list[dict[str, Any]] = []
    for row in read_rows(leads, kind="lead"):
        if not isinstance(row, RawRecord):
            continue
        record, _ = coercer.coerce(row)
        if record is None:
            continue
        fit = draw.choice((0.0, 15.0, 30.0, 45.0, -5.0))
        engagement = round(draw.random() * 50, 2)
        record.update(fit_score=fit, engagement_score=engagement, score=round(fit + engagement, 2))
        for kind in EVENT_TYPES:
            record[f"events.{kind}"] = draw.choice((0, 0, 0, 1, 2))
        found.append(record)
        if len(found) == n:
            break
    return found


def nested(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with its event counts under ``events`` (for engines that read paths) and
    without empty fields or instants (none of the ten conditions reads those)."""
    plain = {
        k: v
        for k, v in record.items()
        if not k.startswith("events.") and v is not None and not isinstance(v, datetime)
    }
    plain["events"] = {kind: record[f"events.{kind}"] for kind in EVENT_TYPES}
    return plain


def leadcontract_conditions() -> list[Callable[[Mapping[str, Any]], bool]]:
    contract = leadcontract.load(ROOT / "contracts" / "example").contract
    assert contract is not None
    compiled = []
    for site in condition_sites(contract):
        if site.source is True or not site.pointer.startswith("/lead/"):
            continue
        condition, issues = parse_condition(site.source)
        assert condition is not None, issues
        scope = build_scope(contract, site.kind)
        compiled.append(compile_condition(condition, scope, default_tz=UTC))
    assert len(compiled) == len(NAMES), [str(c) for c in compiled]
    return compiled


def engines() -> dict[str, tuple[list[Callable[[Any], Any]], str]]:
    """name → (one check per condition, which shape of the record it reads)."""
    import celpy
    import rule_engine
    import zen

    context = rule_engine.Context(default_value=None)
    environment = celpy.Environment()
    programs = [environment.program(environment.compile(text)) for text in CEL]
    return {
        "python": (list(_python()), "flat"),
        "leadcontract": (list(leadcontract_conditions()), "flat"),
        "zen-engine": ([zen.compile_expression(text).evaluate for text in ZEN], "nested"),
        "rule-engine": (
            [rule_engine.Rule(t, context=context).matches for t in RULE_ENGINE],
            "nested",
        ),
        "cel": ([lambda r, p=p: p.evaluate({"r": r}) for p in programs], "cel"),
    }


def durable_mql(records: Iterable[Mapping[str, Any]]) -> list[bool]:
    """The MQL criteria as a durable_rules ruleset, one post per lead."""
    from durable import engine
    from durable.lang import m

    matched: set[int] = set()

    class QuietHost(engine.Host):  # type: ignore[misc]
        def _run(self) -> None:  # no timer threads (see leadcontract.live.ruleset)
            return None

    def mark(c: Any) -> None:
        matched.add(int(c.m.f_n))

    host = QuietHost()
    condition = (m.f_score >= 60) & (m.f_fit >= 20) & (m.f_email == 1)
    host.register_rulesets(
        {"bench_mql": {"mql": {"all": [{"m": condition.define()}], "run": mark}}}
    )
    posted = 0
    for n, record in enumerate(records):
        message = {
            "f_n": n,
            "f_score": record["score"],
            "f_fit": record["fit_score"],
            "f_email": int(record.get("email") is not None),
        }
        posted += 1
        with contextlib.suppress(engine.MessageNotHandledException):  # not an MQL
            host.post("bench_mql", message)
    return [n in matched for n in range(posted)]


def shapes_of(flat: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The records in each shape an engine reads."""
    import celpy

    return {
        "flat": flat,
        "nested": [nested(record) for record in flat],
        "cel": [celpy.json_to_cel(nested(record)) for record in flat],  # type: ignore[attr-defined]
    }


def run_all(
    contenders: Mapping[str, tuple[list[Callable[[Any], Any]], str]],
    shapes: Mapping[str, list[Any]],
    rounds: int,
) -> tuple[dict[str, list[list[bool]]], dict[tuple[str, int], float]]:
    """Every engine's answers (a column per condition) and the best CPU seconds of each
    (engine, condition) over ``rounds``, the engines alternating."""
    answers: dict[str, list[list[bool]]] = {}
    best: dict[tuple[str, int], float] = {}
    for _ in range(rounds):
        for name, (checks, shape) in contenders.items():
            data = shapes[shape]
            columns = []
            for index, check in enumerate(checks):
                begin = time.process_time()
                column = [check(record) for record in data]
                spent = time.process_time() - begin
                best[name, index] = min(best.get((name, index), spent), spent)
                columns.append([bool(value) for value in column])
            answers[name] = columns
    return answers, best


def first_disagreement(columns: list[list[bool]], reference: list[list[bool]]) -> str | None:
    """The first condition on which two engines' answers differ, with their counts."""
    for index, condition in enumerate(NAMES):
        if columns[index] != reference[index]:
            return f"{condition}: {sum(columns[index])} leads against {sum(reference[index])}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--durable", type=int, default=5_000, help="leads posted to durable_rules")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, engines alternating")
    args = parser.parse_args()
    from run import dataset

    leads, _ = dataset(next(s for s in (10_000, 100_000, 1_000_000) if s >= args.leads))
    flat = records(leads, args.leads)
    contenders = engines()
    answers, best = run_all(contenders, shapes_of(flat), args.rounds)
    for name in answers:
        disagreement = first_disagreement(answers[name], answers["python"])
        if disagreement is not None:
            raise SystemExit(f"{name} disagrees with python on {disagreement}")
    reference = answers["python"]
    start = time.process_time()
    durable = durable_mql(flat[: args.durable])
    durable_spent = time.process_time() - start
    mql = NAMES.index("stage/mql")
    if durable != reference[mql][: args.durable]:
        raise SystemExit("durable_rules disagrees with python on stage/mql")
    print(f"{len(flat):,} leads, {len(NAMES)} conditions each; every engine agrees on every lead")
    print(f"best of {args.rounds} rounds; CPU µs per lead and condition\n")
    names = list(contenders)
    print(f"{'condition':<22}" + "".join(f"{name:>14}" for name in names))
    for index, condition in enumerate(NAMES):
        cells = "".join(f"{best[name, index] / len(flat) * 1e6:>14.2f}" for name in names)
        print(f"{condition:<22}{cells}")
    totals = {name: sum(best[name, i] for i in range(len(NAMES))) for name in names}
    print(f"{'all ten':<22}" + "".join(f"{totals[n] / len(flat) * 1e6:>14.2f}" for n in names))
    print(f"{'vs python':<22}" + "".join(f"{totals[n] / totals['python']:>13.1f}x" for n in names))
    print(
        f"{'vs leadcontract':<22}"
        + "".join(f"{totals[n] / totals['leadcontract']:>13.1f}x" for n in names)
    )
    start = time.process_time()
    python_mql = _python()[mql]
    for record in flat[: args.durable]:
        python_mql(record)
    python_mql_spent = time.process_time() - start
    ours_mql = leadcontract_conditions()[mql]
    start = time.process_time()
    for record in flat[: args.durable]:
        ours_mql(record)
    ours_mql_spent = time.process_time() - start
    per = durable_spent / args.durable
    print(
        f"\nthe MQL criteria alone on {args.durable:,} leads, CPU µs per lead: "
        f"python {python_mql_spent / args.durable * 1e6:.2f}, "
        f"leadcontract {ours_mql_spent / args.durable * 1e6:.2f}, durable_rules {per * 1e6:.2f} "
        f"({durable_spent / ours_mql_spent:.0f}x leadcontract)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
