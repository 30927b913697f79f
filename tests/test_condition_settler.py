"""CompiledCondition.settler (deciding a condition from the fields that do not vary) and
CompiledCondition.explainer (the trace, its leaves made by the caller).

The lifecycle replay pre-checks stage criteria once per lead on its record and fit score, and
scores the lead at an instant only when the score or the event counts could still change the
outcome. That is only sound if the pre-check never disagrees with the predicate: whenever it
answers, every value of the varying fields gives the predicate that answer.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_conditions import FREE_SCOPE, RECORD_VALUES, TYPED_CONDITIONS

from leadcontract.fields import FieldType, Symbol
from leadcontract.rules.conditions import (
    Condition,
    compile_condition,
    parse_condition,
)

RECORDS = st.dictionaries(st.sampled_from(sorted(FREE_SCOPE)), RECORD_VALUES)


@settings(max_examples=400, deadline=None)
@given(
    TYPED_CONDITIONS,
    st.sets(st.sampled_from(sorted(FREE_SCOPE))),
    RECORDS,
    st.lists(RECORDS, min_size=1, max_size=6),
)
def test_a_settled_answer_is_the_predicate_at_every_value_of_the_varying_fields(
    condition: Condition,
    varying: set[str],
    fixed: dict[str, Any],
    variations: list[dict[str, Any]],
) -> None:
    compiled = compile_condition(condition, FREE_SCOPE, default_tz=UTC)
    settler = compiled.settler(varying.__contains__)
    answer = settler if settler is None or isinstance(settler, bool) else settler(fixed)
    for variation in variations:
        record = {k: v for k, v in fixed.items() if k not in varying}
        record.update({k: v for k, v in variation.items() if k in varying})
        if answer is not None:
            assert compiled.predicate(record) is answer
    if not varying:  # nothing varies: the fixed fields always decide
        assert answer is compiled.predicate(fixed)


SCOPE = {
    "score": Symbol(FieldType.NUMBER),
    "fit_score": Symbol(FieldType.NUMBER),
    "email": Symbol(FieldType.STRING),
    "events.meeting": Symbol(FieldType.INTEGER),
}


def settle(text: str, record: dict[str, Any]) -> bool | None:
    condition, issues = parse_condition(text)
    assert condition is not None, issues
    settler = compile_condition(condition, SCOPE).settler(
        lambda name: name == "score" or name.startswith("events.")
    )
    return settler if settler is None or isinstance(settler, bool) else settler(record)


def test_the_mql_criteria_settle_on_the_fit_score_and_the_email() -> None:
    mql = "score >= 60 and fit_score >= 20 and email is set"
    assert settle(mql, {"fit_score": 10.0, "email": "a@b.example"}) is False
    assert settle(mql, {"fit_score": 30.0}) is False
    assert settle(mql, {"fit_score": 30.0, "email": "a@b.example"}) is None


def test_any_settles_on_a_fixed_leaf_that_holds_and_not_on_one_that_fails() -> None:
    either = "fit_score >= 20 or events.meeting >= 1"
    assert settle(either, {"fit_score": 25.0}) is True
    assert settle(either, {"fit_score": 5.0}) is None
    assert settle("not (fit_score >= 20 or events.meeting >= 1)", {"fit_score": 25.0}) is False


def test_constants_and_varying_only_conditions_need_no_record() -> None:
    assert settle("true", {}) is True
    assert settle("false or score >= 1", {}) is None
    assert settle("score >= 60 and false", {}) is False


@settings(max_examples=300, deadline=None)
@given(TYPED_CONDITIONS, RECORDS)
def test_an_explainer_lists_the_leaves_trace_lists_made_by_its_maker(
    condition: Condition, record: dict[str, Any]
) -> None:
    # The verdicts' traces use explainer(Fact); `explain` and the CLI's traces read trace().
    compiled = compile_condition(condition, FREE_SCOPE, default_tz=UTC)
    held, leaves = compiled.trace(record)
    explained, made = compiled.explainer(lambda *parts: parts)(record)
    assert explained is held is compiled.predicate(record)
    assert made == tuple(
        (leaf.field, leaf.observed, leaf.expected, str(leaf.op), leaf.result) for leaf in leaves
    )
