r"""Conditions: the small, safe language contracts use to select leads.

A contract says *when* something applies: a lead is an MQL when ``score >= 60 and country in
["US", "CA"]``, an SLA covers leads where ``not (status == "Closed" or do_not_call)``. Marketing
and sales write these either as one expression string or as a structured YAML mapping; both
parse into the same typed AST (:data:`Condition`), so everything downstream (type checks,
compilation, explanations, the canonical text of :func:`describe`) sees one shape.

The language is deliberately tiny. There is no ``eval``, no attribute access, no function call:
the left side of a comparison is always a field name and the right side always a literal, so
the work per record is bounded by the size of the condition (and, for ``matches``, linear in the
length of the text: patterns are matched by RE2, at most :data:`MAX_PATTERN_LENGTH` characters
long, without backreferences or lookaround). Nesting is capped
at :data:`MAX_DEPTH` levels so hostile input yields an ``LC201`` issue, never a
``RecursionError``.

Syntax of expression strings::

    score >= 60 and country in ["US", "CA"]
    not (status == "Closed" or do_not_call)
    title matches "(?i)^(vp|chief)"    phone is set    email is not set    industry != null

* Operators: ``==  !=  <  <=  >  >=  in  not in  contains  matches  is set  is not set``; ``not``
  binds tighter than ``and``, which binds tighter than ``or``; parentheses group.
* The left side of a comparison is always a name (``[A-Za-z_][A-Za-z0-9_-]*`` parts joined
  by dots, not a keyword); the right side always a literal: a number (``60``, ``-1.5``,
  ``1e3``), a string in double or single quotes (escapes ``\\ \" \' \n \t \r \uXXXX
  \UXXXXXXXX``; any other backslash is kept as written, so regexes such as ``"\d+\b"``
  need no doubling), ``true``, ``false``, ``null``, or after ``in``/``not in`` a list of
  those.
* A bare name is a truth test of a boolean field (``do_not_call`` means
  ``do_not_call == true``); ``true`` and ``false`` alone are constant conditions.

Structured form (YAML already loaded into Python data): a mapping ``{field: {op: value}}``
with ops ``eq ne lt lte gt gte in not_in contains matches exists``, ``{field: value}`` as
shorthand for ``eq``; several ops on one field, several keys in one mapping, and the items of
a list all must hold; ``all: [...]``, ``any: [...]`` and ``not: ...`` combine (and so cannot
name fields); a bool is a constant and a string is an expression. Unquoted YAML dates become
ISO strings, as if quoted.

Pipeline::

    parse_condition(source)       -> (Condition | None, issues)     # LC201
    check_condition(cond, scope)  -> issues                          # LC202..LC205
    compile_condition(cond, scope) -> CompiledCondition              # fast predicate + trace

Semantics of evaluation (what :class:`CompiledCondition` does with a record):

* A record maps names to already typed values (``str``, ``int``, ``float``, ``Decimal``,
  ``bool``, ``date``, aware ``datetime``, ``list``) or ``None``. A missing key and ``None`` are
  the same thing: *not set*.
* A value that is not set makes ``is set`` false, ``is not set`` true, ``== null`` true and
  ``!= null`` false. **Every other comparison with it is false, ``!=`` and ``not in``
  included**: an unknown value is no evidence that a lead differs from something. ``not``
  simply inverts, so ``not (score >= 60)`` holds for a lead without a score.
* Literals are coerced to the field's type once, at compile time: ISO strings become ``date``
  or ``datetime`` (a naive datetime literal, or a date-only literal for a datetime field, is
  taken in ``default_tz``; date-only means midnight) and ints become floats for ``number``
  fields.
* Observed values of date fields are normalised the same way before comparing: a naive
  datetime takes ``default_tz``, a ``date`` in a datetime field means midnight in
  ``default_tz``, a ``datetime`` in a date field means its calendar day in ``default_tz``.
  Comparing a date with a datetime therefore never raises.
* A value of the wrong type at run time (text where a number was declared, a number where
  true/false was declared, a list where a number was declared, ...) makes the comparison
  false, ``!=`` and ``not in`` included; :meth:`CompiledCondition.__call__` never raises for
  it, and :meth:`CompiledCondition.trace` shows the observed value so the surprise is visible.
  ``bool`` is not a number here, unlike in Python.
* ``matches`` is a search anywhere in the text, by RE2, with the pattern compiled once;
  ``contains`` is a substring test on text and a membership test on lists; ``in`` tests
  membership in a frozenset built once.

Positions: every leaf and every issue carries ``pointer``, the JSON pointer of the node
*relative to the condition's root* (``""`` for a plain string condition, ``/all/0/score/gte``
in a structured one), and ``offset``, the 0-based character offset inside the expression
string when the node was written as one (``None`` otherwise). The contract loader prefixes
the pointer with the condition's own place and maps both to a line and column.
"""

from __future__ import annotations

from leadcontract.rules.conditions._ast import (
    MAX_DEPTH,
    MAX_PATTERN_LENGTH,
    All,
    AnyOf,
    Compare,
    Condition,
    ConditionError,
    ConditionIssue,
    Constant,
    Leaf,
    Not,
    Op,
    references,
    strip_positions,
)
from leadcontract.rules.conditions._check import check_condition
from leadcontract.rules.conditions._compile import CompiledCondition, compile_condition
from leadcontract.rules.conditions._parse import parse_condition
from leadcontract.rules.conditions._text import describe, explain_leaf, in_words

__all__ = [
    "MAX_DEPTH",
    "MAX_PATTERN_LENGTH",
    "All",
    "AnyOf",
    "Compare",
    "CompiledCondition",
    "Condition",
    "ConditionError",
    "ConditionIssue",
    "Constant",
    "Leaf",
    "Not",
    "Op",
    "check_condition",
    "compile_condition",
    "describe",
    "explain_leaf",
    "in_words",
    "parse_condition",
    "references",
    "strip_positions",
]
