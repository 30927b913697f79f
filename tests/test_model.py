"""The contract models: validators that need more than one field, and what they document."""

from __future__ import annotations

import ast
import inspect
import itertools
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from leadcontract import model
from leadcontract.durations import Duration
from leadcontract.inputs import EVENT_ATTRIBUTES
from leadcontract.model import (
    Calendar,
    Contract,
    DateRange,
    LeadField,
    Lifecycle,
    Metadata,
    Sla,
    Spiff,
    SpiffAmount,
    Stage,
    StageRole,
    Trigger,
    Weekday,
)


def errors(model: type[BaseModel], data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """(loc, message) of every error, ``Value error, `` prefix removed."""
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data)
    return [
        (tuple(e["loc"]), str(e["msg"]).removeprefix("Value error, "))
        for e in raised.value.errors(include_url=False)
    ]


# --------------------------------------------------------------------------------------------
# Owners


def metadata(*teams: str) -> dict[str, Any]:
    return {
        "id": "m",
        "version": "1.0.0",
        "title": "T",
        "owners": [{"name": f"Person {i}", "team": team} for i, team in enumerate(teams)],
        "effective": {"start": "2026-01-01"},
        "timezone": "UTC",
    }


@pytest.mark.parametrize(
    "teams", [("marketing", "sales"), ("sales", "revops", "marketing"), ("sales", "marketing")]
)
def test_owners_from_marketing_and_sales(teams: tuple[str, ...]) -> None:
    assert len(Metadata.model_validate(metadata(*teams)).owners) == len(teams)


@pytest.mark.parametrize(
    ("teams", "missing"),
    [
        (("marketing", "marketing"), "sales"),
        (("sales", "partner"), "marketing"),
        (("revops", "partner"), "marketing, sales"),
    ],
)
def test_owners_must_include_both_sides(teams: tuple[str, ...], missing: str) -> None:
    assert errors(Metadata, metadata(*teams)) == [
        (
            ("owners",),
            "owners must include someone from marketing and someone from sales; "
            f"missing: {missing}",
        )
    ]


def test_one_owner_is_too_few() -> None:
    ((loc, message),) = errors(Metadata, metadata("marketing"))
    assert loc == ("owners",)
    assert "at least 2 items" in message


# --------------------------------------------------------------------------------------------
# SLAs


def sla(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "start": {"event": "handoff"},
        "stop": {"event": "touch"},
        "target": "4h",
        "calendar": "office",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_response_sla() -> None:
    parsed = Sla.model_validate(sla())
    assert parsed.kind.value == "response"
    assert parsed.start.event == ["handoff"]  # one name is a list of one
    assert parsed.target == Duration.parse("4h")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"stop": None}, "a `response` SLA needs a `stop` trigger"),
        ({"kind": "idle", "stop": None}, "a `idle` SLA needs a `stop` trigger"),
        ({"kind": "attempts"}, "an `attempts` SLA needs an `attempts` section"),
        ({"calendar": None}, "a business-time SLA needs a `calendar`"),
    ],
)
def test_sla_kind_requirements(changes: dict[str, Any], message: str) -> None:
    assert errors(Sla, sla(**changes)) == [((), message)]


def test_sla_kinds_that_are_complete() -> None:
    attempts = {"count": 3, "within": "2d"}
    assert Sla.model_validate(sla(kind="attempts", stop=None, attempts=attempts)).attempts
    assert Sla.model_validate(sla(kind="idle")).stop is not None
    assert Sla.model_validate(sla(time="calendar", calendar=None)).calendar is None


@pytest.mark.parametrize("warn_at", [[], [1], [50, 75], [99]])
def test_warning_thresholds_in_range(warn_at: list[int]) -> None:
    assert Sla.model_validate(sla(warn_at=warn_at)).warn_at == warn_at


@pytest.mark.parametrize(("warn_at", "bad"), [([0], 0), ([50, 100], 1), ([50, -5, 75], 1)])
def test_warning_thresholds_out_of_range_name_the_item(warn_at: list[int], bad: int) -> None:
    assert errors(Sla, sla(warn_at=warn_at)) == [
        (("warn_at", bad), "`warn_at` thresholds are percentages between 1 and 99")
    ]


def test_a_trigger_needs_something_to_wait_for() -> None:
    assert errors(Trigger, {"channels": ["phone"]}) == [
        ((), "a trigger needs `event`, `stage` or `field`")
    ]
    assert Trigger.model_validate({"stage": "sal"}).stage == ["sal"]
    assert Trigger.model_validate({"field": "created_at"}).field == "created_at"
    assert errors(Trigger, {"event": []})[0][0] == ("event",)


# --------------------------------------------------------------------------------------------
# Spiffs


@pytest.mark.parametrize(
    "amount",
    [
        {"fixed": "50.00"},
        {"per_unit": "5", "unit": "deal.seats"},
        {"share": "0.02"},
        {"tiers": [{"up_to": "50000", "share": "0.01"}, {"share": "0.02"}]},
    ],
)
def test_an_amount_with_exactly_one_way_to_pay(amount: dict[str, Any]) -> None:
    parsed = SpiffAmount.model_validate({"currency": "USD", **amount})
    assert parsed.currency == "USD"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ({}, "an amount needs exactly one of `fixed`, `per_unit`, `share` or `tiers`"),
        (
            {"fixed": "1", "share": "0.1"},
            "an amount needs exactly one of `fixed`, `per_unit`, `share` or `tiers`; "
            "found fixed, share",
        ),
        (
            {"fixed": "1", "per_unit": "1", "unit": "deal.seats", "tiers": []},
            "an amount needs exactly one of `fixed`, `per_unit`, `share` or `tiers`; "
            "found fixed, per_unit, tiers",
        ),
        ({"per_unit": "5"}, "`per_unit` needs `unit`, the field to count"),
    ],
)
def test_an_amount_needs_exactly_one_way_to_pay(amount: dict[str, Any], message: str) -> None:
    assert errors(SpiffAmount, {"currency": "USD", **amount}) == [((), message)]


def test_money_stays_exact() -> None:
    parsed = SpiffAmount.model_validate({"currency": "EUR", "fixed": "0.10"})
    assert parsed.fixed == Decimal("0.10")
    assert str(parsed.fixed) == "0.10"


def spiff(split: list[dict[str, Any]] | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "campaigns": ["webinar"],
        "outcome": "sql",
        "amount": {"fixed": "100", "currency": "USD"},
    }
    if split is not None:
        data["split"] = split
    return data


@pytest.mark.parametrize(
    "shares",
    [["1"], ["0.4", "0.6"], ["0.25", "0.25", "0.5"], [0.1, 0.2, 0.7], ["0.333", "0.333", "0.334"]],
)
def test_split_adds_up_to_one(shares: list[Any]) -> None:
    parsed = Spiff.model_validate(
        spiff([{"role": f"r{i}", "share": s} for i, s in enumerate(shares)])
    )
    assert parsed.split is not None
    assert sum(s.share for s in parsed.split) == 1


@pytest.mark.parametrize("shares", [["0.5"], ["0.5", "0.6"], ["0.333", "0.333", "0.333"]])
def test_split_that_does_not_add_up(shares: list[str]) -> None:
    data = spiff([{"role": f"r{i}", "share": s} for i, s in enumerate(shares)])
    assert errors(Spiff, data) == [(("split",), "`split` shares must add up to 1")]


def test_a_split_share_is_positive() -> None:
    ((loc, message),) = errors(
        Spiff, spiff([{"role": "sdr", "share": "0"}, {"role": "ae", "share": "1"}])
    )
    assert loc == ("split", 0, "share")
    assert "greater than 0" in message


def test_no_split_is_fine() -> None:
    assert Spiff.model_validate(spiff(None)).split is None


# --------------------------------------------------------------------------------------------
# Working hours


def calendar(*ranges: str) -> Calendar:
    return Calendar.model_validate({"timezone": "UTC", "hours": {"mon": list(ranges)}})


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("09:00-17:00", (time(9), time(17))),
        ("00:00-24:00", (time(0), time(0))),
        ("22:00-24:00", (time(22), time(0))),
        ("23:59-24:00", (time(23, 59), time(0))),
        ("00:00-00:01", (time(0), time(0, 1))),
    ],
)
def test_time_ranges(text: str, parsed: tuple[time, time]) -> None:
    cal = calendar(text)
    assert cal.hours[Weekday.MON] == [parsed]
    # written back as it was read, 24:00 included
    assert cal.model_dump(mode="json")["hours"] == {"mon": [text]}


def test_split_shifts() -> None:
    cal = calendar("08:30-12:30", "13:30-17:30")
    assert cal.intervals() == {0: [(time(8, 30), time(12, 30)), (time(13, 30), time(17, 30))]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("17:00-09:00", "'17:00-09:00': the end must come after the start"),
        ("09:00-09:00", "'09:00-09:00': the end must come after the start"),
        ("22:00-02:00", "(no shifts across midnight)"),
        ("09:00-24:30", "'09:00-24:30': 24:00 is the latest end"),
        ("24:00-24:00", "expected working hours such as '09:00-17:00', got '24:00-24:00'"),
        ("9:00-17:00", "expected working hours such as '09:00-17:00'"),
        ("09:00 - 17:00", "expected working hours such as '09:00-17:00'"),
        ("09:60-17:00", "expected working hours such as '09:00-17:00'"),
    ],
)
def test_bad_time_ranges(text: str, message: str) -> None:
    ((loc, found),) = errors(Calendar, {"timezone": "UTC", "hours": {"mon": [text]}})
    assert loc == ("hours", "mon", 0)
    assert message in found


def test_missing_days_are_off_and_weekdays_count_from_monday() -> None:
    cal = Calendar.model_validate(
        {"timezone": "UTC", "hours": {"sun": ["10:00-12:00"], "wed": ["09:00-17:00"]}}
    )
    assert sorted(cal.intervals()) == [2, 6]
    assert [day.number for day in Weekday] == list(range(7))


# --------------------------------------------------------------------------------------------
# Durations


@pytest.mark.parametrize(("text", "canonical"), [("4h", "4h"), ("1d 4h", "1d4h"), ("2w", "2w")])
def test_durations_in_the_model(text: str, canonical: str) -> None:
    parsed = Sla.model_validate(sla(target=text))
    assert str(parsed.target) == canonical
    assert parsed.model_dump(mode="json")["target"] == canonical


@pytest.mark.parametrize("text", ["4 hours", "", "0h", "4x", "h4", "1h1d"])
def test_bad_durations_in_the_model(text: str) -> None:
    ((loc, message),) = errors(Sla, sla(target=text))
    assert loc == ("target",)
    assert "expected a duration such as 4h, 1d, 2w, 1d4h" in message


# --------------------------------------------------------------------------------------------
# Smaller rules and helpers


def test_allowed_values_only_for_text_fields() -> None:
    assert LeadField.model_validate({"type": "string", "values": ["a"]}).values == ["a"]
    assert errors(LeadField, {"type": "integer", "values": ["1"]}) == [
        ((), "`values` (allowed values) applies to string fields only")
    ]


def test_date_ranges_are_inclusive() -> None:
    span = DateRange(start=date(2026, 1, 1), end=date(2026, 1, 31))
    assert span.contains(date(2026, 1, 1))
    assert span.contains(date(2026, 1, 31))
    assert not span.contains(date(2026, 2, 1))
    assert DateRange(start=date(2026, 1, 1)).contains(date(2099, 1, 1))


def test_stage_roles_default_to_the_id() -> None:
    assert Stage(id="sal").effective_role is StageRole.SAL
    assert Stage(id="sal").entry_events == ["accepted"]
    assert Stage(id="mql").entry_events == []  # reached by qualification, not by an event
    assert Stage(id="accepted", role=StageRole.SAL).effective_role is StageRole.SAL
    assert Stage(id="custom").effective_role is None
    assert Stage(id="sal", on=["meeting"]).entry_events == ["meeting"]


def test_transitions_default_to_the_next_stage_and_stop_at_terminal_ones() -> None:
    lifecycle = Lifecycle.model_validate(
        {
            "stages": [
                {"id": "inquiry"},
                {"id": "mql", "next": ["sal", "ghost"]},
                {"id": "sal"},
                {"id": "won", "terminal": True},
                {"id": "lost", "terminal": True, "next": ["inquiry"]},
            ]
        }
    )
    assert lifecycle.transitions() == {
        "inquiry": ["mql"],
        "mql": ["sal"],  # unknown targets are left to lint
        "sal": ["won"],
        "won": [],
        "lost": ["inquiry"],
    }


def test_models_are_frozen_and_strict() -> None:
    stage = Stage(id="sal")
    with pytest.raises(ValidationError, match="frozen"):
        stage.id = "sql"  # type: ignore[misc]
    ((loc, message),) = errors(Stage, {"id": "sal", "colour": "red"})
    assert loc == ("colour",)
    assert message == "Extra inputs are not permitted"


# --------------------------------------------------------------------------------------------
# The JSON schema documents the models


def test_json_schema_descriptions_come_from_docstrings() -> None:
    schema = Contract.model_json_schema(by_alias=True)
    defs = schema["$defs"]
    assert schema["description"] == "A marketing-sales agreement about leads."
    assert schema["properties"]["apiVersion"]["description"] == "Format version of this file."
    assert defs["Metadata"]["description"] == "Who agreed to what, and since when."
    assert defs["Metadata"]["properties"]["version"]["description"] == (
        "Version of this agreement; bump it with every change that is signed off."
    )
    assert defs["Sla"]["properties"]["warn_at"]["description"] == (
        "Warning thresholds, in percent of the target (e.g. [50, 75])."
    )
    assert defs["Calendar"]["properties"]["hours"]["description"].startswith(
        "Working hours per weekday"
    )
    assert defs["SpiffAmount"]["properties"]["tier_mode"]["description"].startswith(
        "`whole`: the band the deal falls in pays on the whole deal"
    )
    assert defs["SlaKind"]["description"] == "What kind of promise an SLA measures."


def test_every_model_has_a_description() -> None:
    schema = Contract.model_json_schema(by_alias=True)
    undocumented = sorted(
        name for name, definition in schema["$defs"].items() if not definition.get("description")
    )
    assert undocumented == []


def attribute_docstrings() -> dict[tuple[str, str], str]:
    """(class, field) → the docstring written under the field in ``model.py``."""
    tree = ast.parse(Path(model.__file__).read_text(encoding="utf-8"))
    found: dict[tuple[str, str], str] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for statement, following in itertools.pairwise(node.body):
            if (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                found[node.name, statement.target.id] = inspect.cleandoc(following.value.value)
    return found


def test_every_field_docstring_is_its_schema_description() -> None:
    docstrings = attribute_docstrings()
    assert len(docstrings) > 80
    schema = Contract.model_json_schema(by_alias=True)
    definitions = {**schema["$defs"], "Contract": schema}
    wrong = []
    for (cls, name), doc in docstrings.items():
        field = getattr(model, cls).model_fields[name]
        prop = definitions[cls]["properties"][field.alias or name]
        if prop.get("description") != doc:
            wrong.append(f"{cls}.{name}: {prop.get('description')!r}")
    # a reusable type's own description (Identifier, SemVer...) must not hide a docstring
    assert wrong == []


def test_event_mapping_targets_are_the_event_attributes() -> None:
    # model cannot import leadcontract.inputs (which imports model), so the list is written
    # twice; an event mapping must be able to fill exactly what the input reader reads.
    assert model.EVENT_TARGETS == EVENT_ATTRIBUTES
