"""Compiling a condition into closures, with a tracing evaluator for explanations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal
from numbers import Real
from typing import Any, Final, TypeAlias

from leadcontract.fields import FieldType, Scope
from leadcontract.rules.conditions._ast import (
    _LIST_OPS,
    _PRESENCE_OPS,
    All,
    Compare,
    Condition,
    ConditionError,
    Constant,
    Leaf,
    Not,
    Op,
)
from leadcontract.rules.conditions._check import _parse_datetime, check_condition
from leadcontract.rules.conditions._regex import PatternProblem, compile_pattern
from leadcontract.rules.conditions._text import describe

# --- compilation -------------------------------------------------------------------------

_Pred: TypeAlias = Callable[[Mapping[str, Any]], bool]


LeafMaker: TypeAlias = Callable[[str, Any, Any, str, bool], Any]
"""Makes what an explanation lists for one evaluated comparison, from ``(field, observed,
expected, op, result)``: the order of :class:`leadcontract.verdict.Fact`'s first fields, so the
class itself is a maker."""

_Explainer: TypeAlias = Callable[[Mapping[str, Any], list[Any]], bool]
"""A traced evaluation: the result, each comparison evaluated recorded in the list."""

_LeafExplainer: TypeAlias = Callable[[Compare, _Pred, Any], _Explainer]
"""Builds the traced evaluation of one comparison from its predicate and coerced literal."""

_Settler: TypeAlias = Callable[[Mapping[str, Any]], bool | None]
"""Decides a condition from the fields that do not vary, or says it cannot (``None``)."""

# Errors a comparison between a literal and a value of a surprising type may raise; the
# comparison is then false. (ArithmeticError: Decimal NaN ordering, datetime overflow.)
_SURPRISES: Final = (TypeError, ValueError, ArithmeticError)
_CONTAINERS: Final = (str, list, tuple, set, frozenset)


def _true(record: Mapping[str, Any]) -> bool:
    return True


def _false(record: Mapping[str, Any]) -> bool:
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, (Real, Decimal)) and not isinstance(value, bool)


def _is_plain_date(value: Any) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_datetime(value: Any) -> bool:
    return isinstance(value, datetime)


def _never(value: Any) -> bool:
    return False


# For each field type: the exact classes accepted by a set lookup (the fast path), and the
# check for anything else (subclasses).
_ACCEPT: Final[dict[FieldType, tuple[frozenset[type], Callable[[Any], bool]]]] = {
    FieldType.STRING: (frozenset({str}), _is_str),
    FieldType.INTEGER: (frozenset({int, float, Decimal}), _is_number),
    FieldType.NUMBER: (frozenset({int, float, Decimal}), _is_number),
    FieldType.BOOLEAN: (frozenset({bool}), _never),
    FieldType.DATE: (frozenset({date}), _is_plain_date),
    FieldType.DATETIME: (frozenset({datetime}), _is_datetime),
}


def _coerce(value: Any, ftype: FieldType, default_tz: tzinfo) -> Any:
    if value is None:
        return None
    if ftype is FieldType.NUMBER and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if ftype is FieldType.DATE and isinstance(value, str):
        return date.fromisoformat(value)
    if ftype is FieldType.DATETIME and isinstance(value, str):
        return _parse_datetime(value, default_tz)
    return value


def _normalizer(ftype: FieldType, default_tz: tzinfo) -> Callable[[Any], Any] | None:
    """How an observed value of a date field is brought to the field's type, if it must be."""
    if ftype is FieldType.DATETIME:

        def to_datetime(value: Any) -> Any:
            if isinstance(value, datetime):
                return value if value.tzinfo is not None else value.replace(tzinfo=default_tz)
            if isinstance(value, date):
                return datetime.combine(value, time(), default_tz)
            return value

        return to_datetime
    if ftype is FieldType.DATE:

        def to_date(value: Any) -> Any:
            if isinstance(value, datetime):
                try:
                    aware = value.tzinfo is not None
                    return value.astimezone(default_tz).date() if aware else value.date()
                except _SURPRISES:
                    return value
            return value

        return to_date
    return None


# Leaf factories: one closure per operator, so evaluation never dispatches on the operator.
# ``exact``/``accept`` is the type guard of the field: a value of another type makes the
# comparison false. The guard runs after a successful ``==``/``in``/ordering (off the common
# path of a failing test) and before ``!=``/``not in`` (which a wrongly typed value would
# otherwise satisfy). ``None`` (not set) fails every guard.
_Guard: TypeAlias = Callable[[Any], bool]
_Factory: TypeAlias = Callable[[str, Any, frozenset[type], _Guard], _Pred]


def _presence(key: str, want_set: bool) -> _Pred:
    if want_set:

        def is_set(record: Mapping[str, Any]) -> bool:
            return record.get(key) is not None

        return is_set

    def is_not_set(record: Mapping[str, Any]) -> bool:
        return record.get(key) is None

    return is_not_set


def _eq(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    if expected is None:
        return _presence(key, want_set=False)

    def eq(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        try:
            if v == expected:
                return v.__class__ in exact or accept(v)
        except _SURPRISES:
            pass
        return False

    return eq


def _ne(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    if expected is None:
        return _presence(key, want_set=True)

    def ne(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if v is None or not (v.__class__ in exact or accept(v)):
            return False
        try:
            if v != expected:
                return True
        except _SURPRISES:
            pass
        return False

    return ne


def _in(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    members = frozenset(expected)

    def is_in(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        try:
            if v in members:
                return v.__class__ in exact or accept(v)
        except _SURPRISES:  # an unhashable value, such as a list
            pass
        return False

    return is_in


def _not_in(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    members = frozenset(expected)

    def not_in(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if v is None or not (v.__class__ in exact or accept(v)):
            return False
        try:
            return v not in members
        except _SURPRISES:
            return False

    return not_in


def _lt(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    def lt(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if v is None:
            return False
        try:
            if v < expected:
                return v.__class__ in exact or accept(v)
        except _SURPRISES:
            pass
        return False

    return lt


def _le(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    def le(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if v is None:
            return False
        try:
            if v <= expected:
                return v.__class__ in exact or accept(v)
        except _SURPRISES:
            pass
        return False

    return le


def _gt(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    def gt(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if v is None:
            return False
        try:
            if v > expected:
                return v.__class__ in exact or accept(v)
        except _SURPRISES:
            pass
        return False

    return gt


def _ge(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    def ge(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if v is None:
            return False
        try:
            if v >= expected:
                return v.__class__ in exact or accept(v)
        except _SURPRISES:
            pass
        return False

    return ge


def _contains(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    def contains(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        if isinstance(v, _CONTAINERS):  # substring of text, member of a list
            try:
                return expected in v
            except _SURPRISES:
                return False
        return False

    return contains


def _matches(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    compiled = compile_pattern(expected)
    if isinstance(compiled, PatternProblem):
        raise ValueError(compiled.message)
    found = compiled.found

    def matches(record: Mapping[str, Any]) -> bool:
        v = record.get(key)
        return isinstance(v, str) and found(v)

    return matches


def _is_set(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    return _presence(key, want_set=True)


def _is_not_set(key: str, expected: Any, exact: frozenset[type], accept: _Guard) -> _Pred:
    return _presence(key, want_set=False)


_FACTORIES: Final[dict[Op, _Factory]] = {
    Op.EQ: _eq,
    Op.NE: _ne,
    Op.LT: _lt,
    Op.LE: _le,
    Op.GT: _gt,
    Op.GE: _ge,
    Op.IN: _in,
    Op.NOT_IN: _not_in,
    Op.CONTAINS: _contains,
    Op.MATCHES: _matches,
    Op.IS_SET: _is_set,
    Op.IS_NOT_SET: _is_not_set,
}


class _Builder:
    """Builds the fast predicate and the tracing evaluator of one condition."""

    def __init__(self, scope: Scope, default_tz: tzinfo) -> None:
        self.scope = scope
        self.default_tz = default_tz
        self.built: dict[int, tuple[_Pred, Any]] = {}

    def leaf(self, node: Compare) -> tuple[_Pred, Any]:
        cached = self.built.get(id(node))
        if cached is not None:
            return cached
        symbol = self.scope.get(node.field)
        if symbol is None:
            raise ValueError(f'unknown field "{node.field}"')
        ftype = symbol.type
        if node.op in _LIST_OPS:
            expected: Any = tuple(_coerce(v, ftype, self.default_tz) for v in node.value)
        else:
            expected = _coerce(node.value, ftype, self.default_tz)
        exact, accept = _ACCEPT[ftype]
        predicate = _FACTORIES[node.op](node.field, expected, exact, accept)
        normalize = _normalizer(ftype, self.default_tz)
        if normalize is not None and expected is not None and node.op not in _PRESENCE_OPS:
            predicate = _normalized(predicate, node.field, normalize)
        self.built[id(node)] = (predicate, expected)
        return predicate, expected

    def fast(self, node: Condition) -> _Pred:
        if isinstance(node, Compare):
            return self.leaf(node)[0]
        if isinstance(node, Constant):
            return _true if node.value else _false
        if isinstance(node, Not):
            inner = self.fast(node.item)
            if inner is _true:
                return _false
            if inner is _false:
                return _true

            def negate(record: Mapping[str, Any]) -> bool:
                return not inner(record)

            return negate
        # All / AnyOf: constants fold away; two and three items get an unrolled closure
        is_all = isinstance(node, All)
        neutral, absorbing = (_true, _false) if is_all else (_false, _true)
        preds = []
        for item in node.items:
            pred = self.fast(item)
            if pred is absorbing:
                return absorbing
            if pred is not neutral:
                preds.append(pred)
        if not preds:
            return neutral
        if len(preds) == 1:
            return preds[0]
        return _all_of(tuple(preds)) if is_all else _any_of(tuple(preds))

    def explained(self, node: Condition, leaf: _LeafExplainer) -> _Explainer:
        """The traced evaluation: the same result as :meth:`fast`, and a record of every
        comparison evaluated appended to ``out``, in evaluation order (``and``/``or``
        short-circuit). ``leaf(compare, predicate, expected)`` builds each comparison's part,
        which evaluates it and appends its record; loops, not generators: the verdicts'
        traces call this for every rule of every lead."""
        if isinstance(node, Compare):
            predicate, expected = self.leaf(node)
            return leaf(node, predicate, expected)
        if isinstance(node, Constant):
            value = node.value

            def explain_constant(record: Mapping[str, Any], out: list[Any]) -> bool:
                return value

            return explain_constant
        if isinstance(node, Not):
            inner = self.explained(node.item, leaf)

            def explain_not(record: Mapping[str, Any], out: list[Any]) -> bool:
                return not inner(record, out)

            return explain_not
        items = tuple(self.explained(item, leaf) for item in node.items)
        if isinstance(node, All):

            def explain_all(record: Mapping[str, Any], out: list[Any]) -> bool:
                for item in items:  # noqa: SIM110 - a generator costs more per call
                    if not item(record, out):
                        return False
                return True

            return explain_all

        def explain_any(record: Mapping[str, Any], out: list[Any]) -> bool:
            for item in items:  # noqa: SIM110 - a generator costs more per call
                if item(record, out):
                    return True
            return False

        return explain_any

    def settled(self, node: Condition, varying: Callable[[str], bool]) -> _Settler | bool | None:
        """Three-valued (Kleene) evaluation over the leaves whose field does not vary.

        The result is a constant (``True``/``False``) when no leaf decides the node, ``None``
        when only varying leaves could, and otherwise a function of a record giving
        ``True``/``False`` when the fixed leaves decide the node whatever the varying ones are,
        ``None`` when they do not. Leaves are pure functions of their field's value, so the
        answer is the one :attr:`CompiledCondition.predicate` gives at every such record.
        """
        if isinstance(node, Compare):
            return None if varying(node.field) else self.leaf(node)[0]
        if isinstance(node, Constant):
            return node.value
        if isinstance(node, Not):
            inner = self.settled(node.item, varying)
            if inner is None or isinstance(inner, bool):
                return None if inner is None else not inner
            settle_inner = inner

            def settle_not(record: Mapping[str, Any]) -> bool | None:
                value = settle_inner(record)
                return None if value is None else not value

            return settle_not
        absorbing = not isinstance(node, All)  # False decides an `all`, True an `any`
        parts: list[_Settler] = []
        open_ended = False  # an item only varying leaves decide
        for item in node.items:
            part = self.settled(item, varying)
            if part is None:
                open_ended = True
            elif isinstance(part, bool):
                if part is absorbing:
                    return absorbing
            else:
                parts.append(part)
        if not parts:
            return None if open_ended else not absorbing
        return _settle_items(tuple(parts), absorbing=absorbing, open_ended=open_ended)


def _settle_items(parts: tuple[_Settler, ...], *, absorbing: bool, open_ended: bool) -> _Settler:
    """An ``all`` (``absorbing`` False) or ``any`` (True) of settlers: the absorbing value as
    soon as one item has it, the other value when every item has that, else ``None``."""

    def settle(record: Mapping[str, Any]) -> bool | None:
        unknown = open_ended
        for part in parts:
            value = part(record)
            if value is None:
                unknown = True
            elif value is absorbing:
                return absorbing
        return None if unknown else not absorbing

    return settle


def _normalized(predicate: _Pred, key: str, normalize: Callable[[Any], Any]) -> _Pred:
    """Run a leaf on the normalised value of a date field.

    The leaf sees a one-entry record, which keeps the per-operator closures single-purpose and
    fast for the (far more common) fields that need no normalising.
    """

    def run(record: Mapping[str, Any]) -> bool:
        return predicate({key: normalize(record.get(key))})

    return run


def _all_of(preds: tuple[_Pred, ...]) -> _Pred:
    if len(preds) == 2:
        a, b = preds
        return lambda record: a(record) and b(record)
    if len(preds) == 3:
        a, b, c = preds
        return lambda record: a(record) and b(record) and c(record)

    def all_of(record: Mapping[str, Any]) -> bool:
        for pred in preds:  # noqa: SIM110 - a generator costs more per call than the loop
            if not pred(record):
                return False
        return True

    return all_of


def _any_of(preds: tuple[_Pred, ...]) -> _Pred:
    if len(preds) == 2:
        a, b = preds
        return lambda record: a(record) or b(record)
    if len(preds) == 3:
        a, b, c = preds
        return lambda record: a(record) or b(record) or c(record)

    def any_of(record: Mapping[str, Any]) -> bool:
        for pred in preds:  # noqa: SIM110 - a generator costs more per call than the loop
            if pred(record):
                return True
        return False

    return any_of


class CompiledCondition:
    """A condition ready to evaluate against records; build it with :func:`compile_condition`.

    Calling it is the fast path: nested closures built once, one per node, with literals
    already coerced and regexes compiled. For the hottest loops, :attr:`predicate` is the same
    function without the extra call through ``__call__``.

    :meth:`trace` is the slow path for explanations: the same result, plus a :class:`Leaf` for
    every comparison that was evaluated, in evaluation order. ``and``/``or`` short-circuit, so
    leaves that did not need evaluating (everything after the first false item of an ``all``,
    or the first true item of an ``any``) are not listed.
    """

    __slots__ = ("_builder", "_tracer", "condition", "predicate")

    condition: Condition
    predicate: _Pred
    _tracer: _Explainer
    _builder: _Builder

    def __init__(self, condition: Condition, scope: Scope, *, default_tz: tzinfo = UTC) -> None:
        builder = _Builder(scope, default_tz)
        self.condition = condition
        self.predicate = builder.fast(condition)
        self._tracer = builder.explained(condition, _leaf_of)
        self._builder = builder

    def __call__(self, record: Mapping[str, Any]) -> bool:
        return self.predicate(record)

    def trace(self, record: Mapping[str, Any]) -> tuple[bool, tuple[Leaf, ...]]:
        """``(result, leaves evaluated)``; see the class docstring for short-circuiting."""
        out: list[Leaf] = []
        result = self._tracer(record, out)
        return result, tuple(out)

    def explainer(
        self, make: LeafMaker
    ) -> Callable[[Mapping[str, Any]], tuple[bool, tuple[Any, ...]]]:
        """:meth:`trace` with each leaf made by ``make`` (called with ``(field, observed,
        expected, op text, result)``) instead of a :class:`Leaf`: for callers that turn every
        leaf into their own record (a verdict's trace facts), once per call instead of twice.
        Build it once and call it per record; the leaves and their order are :meth:`trace`'s.
        """

        def made_by_make(node: Compare, predicate: _Pred, expected: Any) -> _Explainer:
            field, op = node.field, str(node.op)

            def explain_leaf(record: Mapping[str, Any], out: list[Any]) -> bool:
                result = predicate(record)
                out.append(make(field, record.get(field), expected, op, result))
                return result

            return explain_leaf

        explain = self._builder.explained(self.condition, made_by_make)

        def explained(record: Mapping[str, Any]) -> tuple[bool, tuple[Any, ...]]:
            out: list[Any] = []
            result = explain(record, out)
            return result, tuple(out)

        return explained

    def settler(self, varying: Callable[[str], bool]) -> _Settler | bool | None:
        """A pre-check for records whose fields named by ``varying`` change between calls while
        the others stay put (a lead's score over its replay; its record does not change).

        Called with the record, the pre-check returns what :attr:`predicate` returns for it
        whatever the varying fields hold, or ``None`` when they matter. Constants stand for a
        pre-check whose answer is known without a record (``None``: it never settles), so
        callers skip the call. It does not trace: :meth:`trace` lists the leaves evaluated.
        """
        return self._builder.settled(self.condition, varying)

    def __repr__(self) -> str:
        return f"CompiledCondition({describe(self.condition)!r})"


def _leaf_of(node: Compare, predicate: _Pred, expected: Any) -> _Explainer:
    """One comparison of :meth:`CompiledCondition.trace`, recorded as a :class:`Leaf`."""
    field, op, pointer = node.field, node.op, node.pointer

    def trace_leaf(record: Mapping[str, Any], out: list[Any]) -> bool:
        result = predicate(record)
        out.append(Leaf(field, op, expected, record.get(field), result, pointer))
        return result

    return trace_leaf


def compile_condition(
    condition: Condition, scope: Scope, *, default_tz: tzinfo = UTC
) -> CompiledCondition:
    """Compile a condition for evaluation (see the module docstring for the semantics).

    Raises :class:`ConditionError` when :func:`check_condition` reports issues: a condition
    that does not check cleanly would fail or silently never match at evaluation time.
    """
    issues = check_condition(condition, scope, default_tz=default_tz)
    if issues:
        raise ConditionError(issues)
    return CompiledCondition(condition, scope, default_tz=default_tz)
