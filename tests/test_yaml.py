"""Tests for the safe, position-keeping YAML reader (``leadcontract._yaml``)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcontract import _yaml
from leadcontract._yaml import (
    MAX_NODES,
    SourceMap,
    YamlDocument,
    parse_yaml,
    read_yaml,
)
from leadcontract.diagnostics import Diagnostic, Location

FILE = "contract.yaml"


def parse(text: str | bytes, **limits: int) -> tuple[YamlDocument | None, list[Diagnostic]]:
    return parse_yaml(text, FILE, **limits)


def load(text: str | bytes) -> YamlDocument:
    """Parse a document that must come out with no diagnostics at all."""
    document, diagnostics = parse(text)
    assert diagnostics == []
    assert document is not None
    return document


def checks(diagnostics: list[Diagnostic]) -> list[tuple[str, int | None, int | None]]:
    return [d.check_tuple() for d in diagnostics]


def only(diagnostics: list[Diagnostic]) -> Diagnostic:
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


def at(line: int, column: int) -> Location:
    return Location(FILE, line, column)


# --------------------------------------------------------------------------------------------
# Positions of values and keys

CONTRACT = """\
# header comment
metadata:
  name: Webinar leads
  owner: "ops@example.com"
campaigns:
  - id: webinar
    channels: [email, 'paid social']
    budget: 1500
  - id: fair
    stages:
      mql: {score: 50}
"""


def test_builds_plain_data() -> None:
    assert load(CONTRACT).data == {
        "metadata": {"name": "Webinar leads", "owner": "ops@example.com"},
        "campaigns": [
            {"id": "webinar", "channels": ["email", "paid social"], "budget": 1500},
            {"id": "fair", "stages": {"mql": {"score": 50}}},
        ],
    }


def test_document_carries_the_file_name() -> None:
    document = load(CONTRACT)
    assert document.file == FILE
    assert document.source_map.file == FILE


@pytest.mark.parametrize(
    ("pointer", "position"),
    [
        ("", (2, 1)),
        ("/metadata", (3, 3)),
        ("/metadata/name", (3, 9)),
        ("/metadata/owner", (4, 10)),
        ("/campaigns", (6, 3)),
        ("/campaigns/0", (6, 5)),
        ("/campaigns/0/id", (6, 9)),
        ("/campaigns/0/channels", (7, 15)),
        ("/campaigns/0/channels/0", (7, 16)),
        ("/campaigns/0/channels/1", (7, 23)),
        ("/campaigns/0/budget", (8, 13)),
        ("/campaigns/1", (9, 5)),
        ("/campaigns/1/stages", (11, 7)),
        ("/campaigns/1/stages/mql", (11, 12)),
        ("/campaigns/1/stages/mql/score", (11, 20)),
    ],
)
def test_value_positions(pointer: str, position: tuple[int, int]) -> None:
    assert load(CONTRACT).source_map.values[pointer] == position


@pytest.mark.parametrize(
    ("pointer", "position"),
    [
        ("/metadata", (2, 1)),
        ("/metadata/name", (3, 3)),
        ("/metadata/owner", (4, 3)),
        ("/campaigns", (5, 1)),
        ("/campaigns/0/id", (6, 5)),
        ("/campaigns/0/channels", (7, 5)),
        ("/campaigns/1/stages", (10, 5)),
        ("/campaigns/1/stages/mql", (11, 7)),
        ("/campaigns/1/stages/mql/score", (11, 13)),
    ],
)
def test_key_positions(pointer: str, position: tuple[int, int]) -> None:
    assert load(CONTRACT).source_map.keys[pointer] == position


def test_every_value_and_member_is_recorded() -> None:
    source_map = load(CONTRACT).source_map
    assert len(source_map.values) == 16
    items = {"/campaigns/0", "/campaigns/1", "/campaigns/0/channels/0", "/campaigns/0/channels/1"}
    assert set(source_map.keys) == set(source_map.values) - items - {""}  # items have no key


def test_columns_count_characters_not_bytes() -> None:
    source_map = load("a: [é, 😀, x]\nnote: ünïcode\n").source_map
    assert source_map.values["/a/2"] == (1, 11)
    assert source_map.values["/note"] == (2, 7)


def test_crlf_line_endings() -> None:
    source_map = load("a: 1\r\nb:\r\n  c: x\r\n").source_map
    assert source_map.values["/b/c"] == (3, 6)
    assert source_map.keys["/b/c"] == (3, 3)


def test_pointers_escape_tilde_and_slash() -> None:
    document = load("a/b: 1\nc~d: {e/f~g: 2}\n")
    assert document.data == {"a/b": 1, "c~d": {"e/f~g": 2}}
    assert document.source_map.values["/a~1b"] == (1, 6)
    assert document.source_map.keys["/c~0d/e~1f~0g"] == (2, 7)
    assert document.source_map.values["/c~0d/e~1f~0g"] == (2, 14)


def test_root_that_is_a_list() -> None:
    document = load("- a\n- b\n")
    assert document.data == ["a", "b"]
    assert document.source_map.values == {"": (1, 1), "/0": (1, 3), "/1": (2, 3)}


def test_a_utf8_bom_is_dropped_from_bytes_and_text() -> None:
    assert load(b"\xef\xbb\xbfa: 1\n").source_map.values["/a"] == (1, 4)
    assert load("\ufeffa: 1\n").source_map.keys["/a"] == (1, 1)


def test_reads_a_long_contract() -> None:
    lines = ["campaigns:"]
    for number in range(400):
        lines += [
            f"  c{number}:",
            f'    name: "Campaign {number}"',
            "    when: score >= 50 and country in ['NO', 'SE']",
            "    reps: 4",
            "    window: {start: 2026-01-01, end: 2026-03-31}",
        ]
    document = load("\n".join(lines) + "\n")
    assert len(document.data["campaigns"]) == 400
    assert document.source_map.values["/campaigns/c399/window/end"] == (2001, 38)


# --------------------------------------------------------------------------------------------
# Resolution: YAML 1.2 core schema


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # null
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("~", None),
        ("", None),
        ("nULL", "nULL"),
        # booleans: only the six spellings of true and false
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("tRUE", "tRUE"),
        ("NO", "NO"),
        ("no", "no"),
        ("No", "No"),
        ("yes", "yes"),
        ("Y", "Y"),
        ("y", "y"),
        ("n", "n"),
        ("on", "on"),
        ("off", "off"),
        ("OFF", "OFF"),
        # integers
        ("0", 0),
        ("42", 42),
        ("-17", -17),
        ("+5", 5),
        ("007", 7),
        ("0o17", 15),
        ("0x1F", 31),
        ("0xff", 255),
        ("1_000", "1_000"),
        ("0b101", "0b101"),
        ("0O17", "0O17"),
        ("-0x1F", "-0x1F"),
        # floats
        ("1.5", 1.5),
        ("-2.25", -2.25),
        ("+0.5", 0.5),
        ("1e3", 1000.0),
        ("1.5E-2", 0.015),
        (".5", 0.5),
        ("1.", 1.0),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("+.INF", math.inf),
        ("1e", "1e"),
        ("1.2.3", "1.2.3"),
        ("inf", "inf"),
        # dates, times and sexagesimals stay text for the models to parse
        ("2026-01-01", "2026-01-01"),
        ("2026-01-01T09:00:00Z", "2026-01-01T09:00:00Z"),
        ("2026-01-01 09:00:00", "2026-01-01 09:00:00"),
        ("09:00", "09:00"),
        ("1:30", "1:30"),
        ("190:20:30", "190:20:30"),
        # other text
        ("hello world", "hello world"),
        ("<<", "<<"),
        ("=", "="),
    ],
)
def test_plain_scalars_resolve_by_the_core_schema(written: str, expected: Any) -> None:
    value = load(f"v: {written}\n").data["v"]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("written", [".nan", ".NaN", ".NAN"])
def test_not_a_number(written: str) -> None:
    value = load(f"v: {written}\n").data["v"]
    assert isinstance(value, float)
    assert math.isnan(value)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('"42"', "42"),
        ("'true'", "true"),
        ('"null"', "null"),
        ("''", ""),
        ('"NO"', "NO"),
        ('"2026-01-01"', "2026-01-01"),
        ('"a\\tb"', "a\tb"),
        ("'it''s'", "it's"),
        ("|\n  text\n", "text\n"),
        ("|-\n  42\n", "42"),
        (">\n  one\n  two\n", "one two\n"),
    ],
)
def test_quoted_and_block_scalars_are_always_strings(written: str, expected: str) -> None:
    assert load(f"v: {written}\n").data["v"] == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("!!str 123", "123"),
        ("!!str true", "true"),
        ("!!str", ""),
        ("! 12", "12"),
        ('!!int "42"', 42),
        ("!!int 0x10", 16),
        ("!!float 1", 1.0),
        ("!!float '2.5'", 2.5),
        ('!!bool "false"', False),
        ("!!null ''", None),
        ("!!map {a: 1}", {"a": 1}),
        ("!!seq [1]", [1]),
        ("!<tag:yaml.org,2002:str> 7", "7"),
    ],
)
def test_standard_tags(written: str, expected: Any) -> None:
    value = load(f"v: {written}\n").data["v"]
    assert value == expected
    assert type(value) is type(expected)


def test_keys_are_the_text_that_was_written() -> None:
    document = load(
        "NO: 1\n1: 2\n2026-01-01: 3\ntrue: 4\nnull: 5\n~: 6\n0x10: 7\n1.50: 8\n'quoted': 9\n"
        "!!int 10: 10\n"
    )
    assert document.data == {
        "NO": 1,
        "1": 2,
        "2026-01-01": 3,
        "true": 4,
        "null": 5,
        "~": 6,
        "0x10": 7,
        "1.50": 8,
        "quoted": 9,
        "10": 10,
    }
    assert all(isinstance(key, str) for key in document.data)
    assert document.source_map.keys["/2026-01-01"] == (3, 1)


def test_an_empty_key_is_the_empty_string() -> None:
    assert load("? \n: x\n").data == {"": "x"}


# --------------------------------------------------------------------------------------------
# Duplicate and complex keys


def test_every_duplicate_key_is_reported_and_the_first_value_kept() -> None:
    document, diagnostics = parse("a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\na: 4\na: 5\n")
    assert document is not None
    assert document.data == {"a": 1, "b": {"x": 1, "y": 2}}
    assert checks(diagnostics) == [("LC006", 5, 3), ("LC006", 6, 1), ("LC006", 7, 1)]
    nested, second, third = diagnostics
    assert nested.pointer == "/b/x"
    assert "'x'" in nested.message
    assert "line 3" in nested.message
    assert second.pointer == "/a"
    assert "line 1" in second.message
    assert "line 1" in third.message
    assert nested.hint is not None
    assert "first" in nested.hint
    assert nested.file == FILE


def test_the_kept_key_keeps_its_position() -> None:
    document, _ = parse("a: 1\na: 2\n")
    assert document is not None
    assert document.source_map.keys["/a"] == (1, 1)
    assert document.source_map.values["/a"] == (1, 4)


def test_duplicates_in_flow_mappings() -> None:
    document, diagnostics = parse("m: {a: 1, b: 2, a: 3}\n")
    assert document is not None
    assert document.data == {"m": {"a": 1, "b": 2}}
    assert checks(diagnostics) == [("LC006", 1, 17)]


def test_keys_that_read_the_same_are_duplicates() -> None:
    _, diagnostics = parse("1: a\n'1': b\n")
    assert checks(diagnostics) == [("LC006", 2, 1)]


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("? [a, b]\n: x\nc: 1\n", (1, 3)),
        ("{a: 1}: x\nc: 1\n", (1, 1)),
        ("k: &k [1]\n*k : x\nc: 1\n", (2, 1)),
    ],
)
def test_a_key_that_is_not_a_single_value(text: str, position: tuple[int, int]) -> None:
    document, diagnostics = parse(text)
    assert document is not None
    assert "c" in document.data
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC009", *position)
    assert "key" in diagnostic.message


# --------------------------------------------------------------------------------------------
# Tags


@pytest.mark.parametrize(
    ("text", "position", "shown"),
    [
        ("v: !!python/object:os.system ls\n", (1, 4), "!!python/object:os.system"),
        ("!!python/object/apply:os.system ['echo hi']\n", (1, 1), "!!python/object/apply"),
        ("v: !custom {x: 1}\n", (1, 4), "!custom"),
        ("v:\n  - !!binary aGk=\n", (2, 5), "!!binary"),
        ("v: !!timestamp 2026-01-01\n", (1, 4), "!!timestamp"),
        ("v: !!set {a, b}\n", (1, 4), "!!set"),
        ("v: !!omap [a: 1]\n", (1, 4), "!!omap"),
        ("!tagged key: 1\n", (1, 1), "!tagged"),
        ("a: &a {x: 1}\nb: {!!merge <<: *a}\n", (2, 5), "!!merge"),
    ],
)
def test_unsupported_tags(text: str, position: tuple[int, int], shown: str) -> None:
    document, diagnostics = parse(text)
    assert document is not None  # reported, read as if untagged, never constructed
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC009", *position)
    assert shown in diagnostic.message


def test_tagged_values_are_read_as_plain_data(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*_: object) -> None:  # pragma: no cover - must never run
        raise AssertionError("a tag ran code")

    monkeypatch.setattr(os, "system", forbidden)
    document, _ = parse("a: !!python/object/apply:os.system ['echo hi']\nb: !!str ok\n")
    assert document is not None
    assert document.data == {"a": ["echo hi"], "b": "ok"}


def test_unsupported_tag_pointers() -> None:
    _, diagnostics = parse("a:\n  b: [1, !x 2]\n  !y c: 3\n")
    assert [(d.pointer, d.check_tuple()) for d in diagnostics] == [
        ("/a/b/1", ("LC009", 2, 10)),
        ("/a/c", ("LC009", 3, 3)),
    ]


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("v: !!str {a: 1}\n", (1, 4), "'!!str' cannot be used on a mapping"),
        ("v: !!map [1]\n", (1, 4), "'!!map' cannot be used on a list"),
        ("v: !!seq x\n", (1, 4), "'!!seq' cannot be used on a single value"),
        ("v: !!int abc\n", (1, 4), "'abc' is not a valid !!int value"),
        ("v: !!int 1.5\n", (1, 4), "'1.5' is not a valid !!int value"),
        ("v: !!float x\n", (1, 4), "'x' is not a valid !!float value"),
        ("v: !!bool yes\n", (1, 4), "'yes' is not a valid !!bool value"),
        ("v: !!null nothing\n", (1, 4), "'nothing' is not a valid !!null value"),
    ],
)
def test_standard_tags_that_do_not_fit(text: str, position: tuple[int, int], fragment: str) -> None:
    document, diagnostics = parse(text)
    assert document is not None
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC009", *position)
    assert fragment in diagnostic.message
    assert diagnostic.pointer == "/v"


def test_an_integer_too_long_for_python_is_reported_not_raised() -> None:
    digits = "9" * 5000
    document, diagnostics = parse(f"v: {digits}\n")
    assert document is not None
    assert document.data == {"v": digits}
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC009", 1, 4)
    assert len(diagnostic.message) < 100  # the value is shortened in the message


# --------------------------------------------------------------------------------------------
# Anchors, aliases and merge keys

ALIASES = """\
base: &base
  owner: ops
  sla: 4h
copy: *base
list: [*base, *base]
"""


def test_aliases_expand_to_independent_copies() -> None:
    data = load(ALIASES).data
    assert data["copy"] == data["base"] == {"owner": "ops", "sla": "4h"}
    assert data["list"] == [data["base"], data["base"]]
    assert data["copy"] is not data["base"]
    assert data["list"][0] is not data["list"][1]


def test_an_alias_is_at_the_alias_and_its_content_where_it_was_written() -> None:
    source_map = load(ALIASES).source_map
    assert source_map.values["/base"] == (1, 7)  # the node starts at its anchor
    assert source_map.values["/copy"] == (4, 7)
    assert source_map.values["/copy/owner"] == (2, 10)
    assert source_map.keys["/copy/sla"] == (3, 3)
    assert source_map.values["/list/1"] == (5, 15)
    assert source_map.values["/list/1/sla"] == (3, 8)


def test_scalar_anchors() -> None:
    document = load("a: &x 5\nb: *x\nc: [*x]\n")
    assert document.data == {"a": 5, "b": 5, "c": [5]}
    assert document.source_map.values["/b"] == (2, 4)


def test_an_anchor_can_be_redefined() -> None:
    assert load("a: &x 1\nb: &x 2\nc: *x\n").data["c"] == 2


def test_an_undefined_alias() -> None:
    document, diagnostics = parse("a: 1\nb: *nowhere\n")
    assert document is not None
    assert document.data == {"a": 1, "b": None}
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC005", 2, 4)
    assert "*nowhere" in diagnostic.message
    assert diagnostic.pointer == "/b"


def test_a_recursive_alias() -> None:
    document, diagnostics = parse("a: &a [1, *a]\n")
    assert document is not None
    assert document.data == {"a": [1, None]}
    assert checks(diagnostics) == [("LC009", 1, 11)]
    assert diagnostics[0].pointer == "/a/1"


MERGES = """\
defaults: &defaults
  owner: ops
  sla: 4h
  region: emea
extra: &extra
  region: apac
  tier: gold
campaign:
  <<: [*defaults, *extra]
  sla: 2h
single:
  <<: *extra
"""


def test_merge_keys() -> None:
    data = load(MERGES).data
    # explicit keys win over merged ones; earlier sources win over later ones
    assert data["campaign"] == {"owner": "ops", "sla": "2h", "region": "emea", "tier": "gold"}
    assert data["single"] == {"region": "apac", "tier": "gold"}


def test_merged_values_point_where_they_were_written() -> None:
    source_map = load(MERGES).source_map
    assert source_map.values["/campaign/owner"] == (2, 10)
    assert source_map.keys["/campaign/owner"] == (2, 3)
    assert source_map.values["/campaign/region"] == (4, 11)
    assert source_map.values["/campaign/tier"] == (7, 9)
    assert source_map.values["/campaign/sla"] == (10, 8)
    assert source_map.keys["/campaign/sla"] == (10, 3)
    assert source_map.values["/single/region"] == (6, 11)
    assert not any("<<" in pointer for pointer in source_map.values)
    assert not any("<<" in pointer for pointer in source_map.keys)


def test_merge_precedence_does_not_depend_on_order() -> None:
    data = load("a: &a {x: 1, y: 2}\nm: {x: 0, <<: *a}\nn: {<<: *a, x: 0}\n").data
    assert data["m"] == data["n"] == {"x": 0, "y": 2}


def test_merges_of_merges_and_inline_merges() -> None:
    data = load("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: [*b, {w: 0}], z: 3}\n").data
    assert data["c"] == {"x": 1, "y": 2, "w": 0, "z": 3}


def test_a_quoted_merge_key_is_an_ordinary_key() -> None:
    assert load("a: &a {x: 1}\nb: {'<<': *a}\n").data["b"] == {"<<": {"x": 1}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("m:\n  <<: 1\n  x: 2\n", [("LC009", 2, 7)]),
        ("a: &a {x: 1}\nm:\n  <<: [*a, 2]\n", [("LC009", 3, 12)]),
        ("a: &a 1\nm:\n  <<: *a\n", [("LC009", 3, 7)]),
        ("a: &a [1]\nm:\n  <<: *a\n", [("LC009", 1, 8)]),  # a list: its item is no mapping
        ("a: &a {x: 1}\nm:\n  <<: *a\n  <<: {y: 2}\n", [("LC006", 4, 3)]),
    ],
)
def test_bad_merges(text: str, expected: list[tuple[str, int, int]]) -> None:
    document, diagnostics = parse(text)
    assert document is not None
    assert checks(diagnostics) == expected
    assert diagnostics[0].pointer.startswith("/m")


def test_a_billion_laughs_is_stopped() -> None:
    # 9 ** 9 = 387,420,489 strings if expanded: minutes and gigabytes if it were built.
    lines = ['l0: &l0 "lol"']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    document, diagnostics = parse("\n".join(lines) + "\n")
    assert document is None
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC007", 7, 5)  # l6, the first list over the limit
    assert diagnostic.pointer == "/l6"
    assert str(MAX_NODES) in diagnostic.message


def test_the_node_budget_counts_expansions() -> None:
    text = "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n"
    # the root, two keys, a (1 + 4) and b (1 + 3 * 5): 24 nodes
    assert parse(text, max_nodes=24)[0] is not None
    document, diagnostics = parse(text, max_nodes=23)
    assert document is None
    assert checks(diagnostics) == [("LC007", 1, 1)]
    assert diagnostics[0].pointer == ""
    document, diagnostics = parse(text, max_nodes=15)
    assert document is None
    assert checks(diagnostics) == [("LC007", 2, 4)]
    assert diagnostics[0].pointer == "/b"


def test_the_node_budget_counts_merges() -> None:
    lines = ["m0: &m0 {k0: 0}"]
    lines += [f"m{i}: &m{i} {{<<: *m{i - 1}, k{i}: {i}}}" for i in range(1, 40)]
    text = "\n".join(lines) + "\n"
    assert len(load(text).data["m39"]) == 40
    document, diagnostics = parse(text, max_nodes=300)
    assert document is None
    assert [d.code for d in diagnostics] == ["LC007"]


def test_aliases_nesting_too_deep() -> None:
    nested = "[" * 60 + "]" * 60
    document, diagnostics = parse(f"a: &a {nested}\nb: &b {'[' * 60}*a{']' * 60}\n")
    assert document is None
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC007", 2, 25)
    assert "deep" in diagnostic.message


def test_nesting_too_deep() -> None:
    document, diagnostics = parse("a: " + "[" * 150 + "]" * 150)
    assert document is None
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC005", 1, 103)
    assert "nested more than 100 levels" in diagnostic.message


def test_nesting_far_too_deep_is_refused_whichever_libyaml() -> None:
    """libyaml 0.2.6+ stops scanning at its own depth limit (1,000) before the composer sees the
    101st level, so the column is libyaml's; the promise is the diagnostic, its line and words."""
    document, diagnostics = parse("a: " + "[" * 5000 + "]" * 5000)
    assert document is None
    diagnostic = only(diagnostics)
    assert diagnostic.code == "LC005"
    assert diagnostic.line == 1
    assert diagnostic.column is not None
    assert 4 <= diagnostic.column <= 5003
    assert "nested more than 100 levels" in diagnostic.message


# --------------------------------------------------------------------------------------------
# Documents, emptiness, encoding, size


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("a: 1\n---\nb: 2\n", (2, 1)),
        ("---\na: 1\n--- \nb: 2\n---\nc: 3\n", (3, 1)),
        ("a: 1\n...\n---\nb: 2\n", (3, 1)),
    ],
)
def test_more_than_one_document(text: str, position: tuple[int, int]) -> None:
    document, diagnostics = parse(text)
    assert document is not None
    assert document.data == {"a": 1}
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC008", *position)


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "   ", "# only a comment\n  # and another\n", "\ufeff", b"\xef\xbb\xbf", "---\n"],
)
def test_empty_files(text: str | bytes) -> None:
    document, diagnostics = parse(text)
    assert document is None
    assert checks(diagnostics) == [("LC002", 1, 1)]
    assert diagnostics[0].file == FILE


@pytest.mark.parametrize(
    ("data", "position", "byte"),
    [
        (b"a: 1\nb: caf\xe9\n", (2, 7), "0xE9"),
        (b"a: caf\xc3\xa9 \xff\n", (1, 9), "0xFF"),
        (b"a: 1\r\nb: 2\r\nc: \x80\r\n", (3, 4), "0x80"),
        ("a: 1".encode("utf-16"), (1, 1), "0xFF"),
    ],
)
def test_bytes_that_are_not_utf8(data: bytes, position: tuple[int, int], byte: str) -> None:
    document, diagnostics = parse(data)
    assert document is None
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC003", *position)
    assert byte in diagnostic.message
    assert f"line {position[0]}, column {position[1]}" in diagnostic.message


def test_too_large_bytes() -> None:
    document, diagnostics = parse(b"a: 12345\n", max_bytes=8)
    assert document is None
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC004", 1, 1)
    assert "9 bytes" in diagnostic.message
    assert "limit of 8 bytes" in diagnostic.message


def test_too_large_text_counts_utf8_bytes() -> None:
    assert parse("a: éé", max_bytes=7)[0] is not None
    document, diagnostics = parse("a: ééé", max_bytes=8)
    assert document is None
    assert "9 bytes" in only(diagnostics).message


# --------------------------------------------------------------------------------------------
# Syntax errors


@pytest.mark.parametrize(
    ("text", "position", "fragment", "hint"),
    [
        ("a:\n\tb: 1\n", (2, 1), "cannot start any token", "tabs"),
        ("a:\n  b: 1\n\t c: 2\n", (3, 1), "tab character that violates indentation", "tabs"),
        ("a: 'open\nb: 2\n", (3, 1), "quoted scalar that starts at line 1, column 4", "quote"),
        ('a: "open\n', (2, 1), "quoted scalar that starts at line 1, column 4", "quote"),
        ("a: b: c\n", (1, 5), "mapping values are not allowed", "quotes"),
        ("a: [1, 2\n", (2, 1), "flow sequence that starts at line 1, column 4", None),
        ("a: 1\n b: 2\n", (2, 3), "mapping values are not allowed", "quotes"),
        ("- a\nb: 1\n", (2, 1), "did not find expected '-' indicator", "cannot share one level"),
        # indentation: a key left of its mapping's keys, right of them, or a list item among them
        ("a:\n  b: 1\n c: 2\n", (3, 2), "did not find expected key", "starts in column 2"),
        (
            "top:\n  a: 1\n  b: 2\n   c: 3\n",
            (4, 5),
            "mapping values are not allowed",
            "indented more than the line above",
        ),
        ("l:\n  -{x: 1}\n  - y\n", (3, 3), "did not find expected key", "cannot share one level"),
        ("m:\n  l:\n  - {a: 1}\n    - {b: 2}\n", (4, 5), "expected key", "in the same column"),
        ("a: x\x07\n", (1, 5), "U+0007", "control characters"),
        ("a: 1\nb: \x00", (2, 4), "U+0000", "control characters"),
        ("a: \ud800\n", (1, 4), "U+D800", "control characters"),
    ],
)
def test_syntax_errors(
    text: str, position: tuple[int, int], fragment: str, hint: str | None
) -> None:
    document, diagnostics = parse(text)
    assert document is None
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC005", *position)
    assert fragment in diagnostic.message
    if hint is None:
        assert diagnostic.hint is None
    else:
        assert diagnostic.hint is not None
        assert hint in diagnostic.hint


def test_diagnostics_found_before_a_syntax_error_are_kept() -> None:
    document, diagnostics = parse("m:\n  a: 1\n  a: 2\nb: !x 1\nc: [\n")
    assert document is None
    assert checks(diagnostics) == [("LC006", 3, 3), ("LC009", 4, 4), ("LC005", 6, 1)]


# --------------------------------------------------------------------------------------------
# read_yaml


def test_read_yaml(tmp_path: Path) -> None:
    path = tmp_path / "contract.yaml"
    path.write_bytes(b"a: 1\nb: 2\nb: 3\n")
    document, diagnostics = read_yaml(path, display_name="contracts/contract.yaml")
    assert document is not None
    assert document.file == "contracts/contract.yaml"
    assert document.data == {"a": 1, "b": 2}
    assert only(diagnostics).file == "contracts/contract.yaml"


def test_read_yaml_names_files_by_path_by_default(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("a: [\n", encoding="utf-8")
    document, diagnostics = read_yaml(path)
    assert document is None
    assert only(diagnostics).file == str(path)


def test_read_yaml_missing_file(tmp_path: Path) -> None:
    document, diagnostics = read_yaml(tmp_path / "nope.yaml", display_name="nope.yaml")
    assert document is None
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC001", 1, 1)
    assert diagnostic.file == "nope.yaml"
    assert "nope.yaml" in diagnostic.message


def test_read_yaml_directory(tmp_path: Path) -> None:
    document, diagnostics = read_yaml(tmp_path)
    assert document is None
    diagnostic = only(diagnostics)
    assert diagnostic.code == "LC001"
    assert "folder" in diagnostic.message


def test_read_yaml_special_file(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    document, diagnostics = read_yaml(pipe)  # must not block trying to read it
    assert document is None
    assert "not a regular file" in only(diagnostics).message


def test_read_yaml_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n", encoding="utf-8")

    def refuse(*_: object, **__: object) -> Any:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Path, "open", refuse)
    document, diagnostics = read_yaml(path)
    assert document is None
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC001", 1, 1)
    assert "Permission denied" in diagnostic.message
    assert diagnostic.hint is not None
    assert "permission" in diagnostic.hint


def test_read_yaml_checks_the_size_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(2_000_000)  # sparse: large on paper, nothing to read

    def must_not_read(*_: object, **__: object) -> Any:  # pragma: no cover - must not run
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", must_not_read)
    document, diagnostics = read_yaml(path, max_bytes=1_000_000)
    assert document is None
    diagnostic = only(diagnostics)
    assert diagnostic.check_tuple() == ("LC004", 1, 1)
    assert "2000000 bytes" in diagnostic.message
    assert "1000000 bytes" in diagnostic.message


def test_read_yaml_decodes_strictly(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("owner: Jörg\n".encode("latin-1"))
    document, diagnostics = read_yaml(path, display_name="latin1.yaml")
    assert document is None
    assert checks(diagnostics) == [("LC003", 1, 9)]


# --------------------------------------------------------------------------------------------
# SourceMap.locate


def test_locate_exact_nodes_and_keys() -> None:
    source_map = load(CONTRACT).source_map
    assert source_map.locate("/metadata/name") == at(3, 9)
    assert source_map.locate("/metadata/name", key=True) == at(3, 3)
    assert source_map.locate("/campaigns/0/channels/1") == at(7, 23)


def test_locate_falls_back_to_the_nearest_recorded_ancestor() -> None:
    source_map = load(CONTRACT).source_map
    assert source_map.locate("/metadata/missing") == at(3, 3)
    assert source_map.locate("/metadata/missing", key=True) == at(3, 3)
    assert source_map.locate("/campaigns/7/id") == at(6, 3)
    assert source_map.locate("/campaigns/1/stages/sql/score") == at(11, 7)
    assert source_map.locate("/nope/deeper") == at(2, 1)


def test_locate_a_list_item_with_key_uses_its_value() -> None:
    source_map = load(CONTRACT).source_map
    assert source_map.locate("/campaigns/1", key=True) == at(9, 5)


def test_locate_the_root() -> None:
    assert load(CONTRACT).source_map.locate("") == at(2, 1)
    assert SourceMap(FILE, {}, {}).locate("") == at(1, 1)
    assert SourceMap(FILE, {}, {}).locate("/a/b", key=True) == at(1, 1)


# --------------------------------------------------------------------------------------------
# SourceMap.locate_in_scalar

SCALARS = """\
plain: hello world
single: 'it is here'
double: "say hi"
escaped: "tab\\there"
doubled: 'it''s'
literal: |
  first line
    second
  third
folded: >
  one
  two
multi: plain
  continued
number: 42
anchored: &t !!str tagged text
ref: *t
flow: [alpha, 'beta']
"""


@pytest.mark.parametrize(
    ("pointer", "offset", "position"),
    [
        ("/plain", 0, (1, 8)),
        ("/plain", 6, (1, 14)),
        ("/plain", 11, (1, 19)),  # just past the end
        ("/single", 0, (2, 10)),
        ("/single", 3, (2, 13)),
        ("/double", 4, (3, 14)),
        ("/literal", 0, (7, 3)),
        ("/literal", 6, (7, 9)),
        ("/literal", 11, (8, 3)),
        ("/literal", 13, (8, 5)),
        ("/literal", 22, (9, 5)),
        ("/anchored", 0, (16, 20)),
        ("/anchored", 7, (16, 27)),
        ("/ref", 7, (16, 27)),  # the characters are where the anchor wrote them
        ("/flow/0", 4, (18, 12)),
        ("/flow/1", 2, (18, 18)),
    ],
)
def test_locate_in_scalar_exactly(pointer: str, offset: int, position: tuple[int, int]) -> None:
    assert load(SCALARS).source_map.locate_in_scalar(pointer, offset) == at(*position)


@pytest.mark.parametrize(
    ("pointer", "offset", "position"),
    [
        ("/escaped", 5, (4, 10)),  # an escape shifts the characters
        ("/doubled", 3, (5, 10)),
        ("/folded", 2, (10, 9)),  # folding joins lines
        ("/multi", 8, (13, 8)),  # so does a multi-line plain scalar
        ("/plain", 12, (1, 8)),  # out of range
        ("/plain", -1, (1, 8)),
        ("/number", 1, (15, 9)),  # not a string: the node itself
        ("/missing", 0, (1, 1)),  # not recorded: nearest ancestor (the root)
        ("/flow/2", 0, (18, 7)),
    ],
)
def test_locate_in_scalar_falls_back_to_the_start(
    pointer: str, offset: int, position: tuple[int, int]
) -> None:
    assert load(SCALARS).source_map.locate_in_scalar(pointer, offset) == at(*position)


def test_locate_in_scalar_checks_the_source() -> None:
    # The value is what the text says it is, character for character, at each mapped place.
    document = load(SCALARS)
    lines = SCALARS.splitlines()
    for pointer in ("/plain", "/single", "/double", "/literal", "/anchored", "/flow/1"):
        value = document.data[pointer.split("/")[1]]
        if isinstance(value, list):
            value = value[1]
        for offset, character in enumerate(value):
            location = document.source_map.locate_in_scalar(pointer, offset)
            written = lines[location.line - 1] + "\n"
            assert written[location.column - 1] == character, (pointer, offset)


@pytest.mark.parametrize(
    ("text", "offset", "position"),
    [
        ("v: |\r\n  ab\r\n  cd\r\n", 3, (3, 3)),
        ("v: |+\n  ab\n\n  cd\n\n", 5, (4, 4)),
        ("v: |2\n    ab\n", 1, (2, 4)),
        ("- |\n   x\n   yz\n", 3, (3, 5)),
        ("v: !!str |\n  ab\n", 1, (2, 4)),
        ("v: |\n\n  ab\n", 2, (3, 4)),
    ],
)
def test_locate_in_literal_blocks(text: str, offset: int, position: tuple[int, int]) -> None:
    document = load(text)
    pointer = "/0" if isinstance(document.data, list) else "/v"
    assert document.source_map.locate_in_scalar(pointer, offset) == at(*position)


def test_locate_in_an_empty_string_is_its_start() -> None:
    assert load("v: ''\n").source_map.locate_in_scalar("/v", 0) == at(1, 4)


def test_locate_in_a_key_text_is_not_confused_with_values() -> None:
    source_map = load("when: score > 5\n").source_map
    assert source_map.locate_in_scalar("/when", 6) == at(1, 13)


# --------------------------------------------------------------------------------------------
# Both parsers agree

AGREEMENT = [CONTRACT, ALIASES, MERGES, SCALARS, "a: 1\r\nb:\r\n  c: [é, 😀, x]\r\n"]


@pytest.mark.parametrize("text", AGREEMENT)
def test_the_pure_python_parser_gives_the_same_result(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = load(text)
    monkeypatch.setattr(_yaml, "_make_parser", _yaml._pure_python_parser)
    slow = load(text)
    assert slow.data == fast.data
    assert slow.source_map.values == fast.source_map.values
    assert slow.source_map.keys == fast.source_map.keys
    for pointer in fast.source_map.values:
        for offset in (0, 3):
            assert slow.source_map.locate_in_scalar(
                pointer, offset
            ) == fast.source_map.locate_in_scalar(pointer, offset)


def test_the_pure_python_parser_reports_the_same_problems(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "a: 1\na: 2\nb: !x 3\nc: *nope\n---\nd: 4\n"
    expected = checks(parse(text)[1])
    monkeypatch.setattr(_yaml, "_make_parser", _yaml._pure_python_parser)
    assert checks(parse(text)[1]) == expected
    _, diagnostics = parse("a:\n\tb: 1\n")
    assert checks(diagnostics) == [("LC005", 2, 1)]


# --------------------------------------------------------------------------------------------
# Never raises

YAML_PIECES = st.sampled_from(
    [
        *"ab:-[]{},&*!|>'\"#?<~ \t\n\r%@`\\.01é",
        *["\u2028", "\x85", "<<", "- ", ": ", "&a ", "*a", "!!str ", "!!int ", "!x "],
        *["---\n", "...\n", "\ufeff", "\x00", "  ", "\n  ", "|\n  "],
    ]
)


def _check_outcome(document: YamlDocument | None, diagnostics: list[Diagnostic]) -> None:
    assert document is not None or diagnostics
    for diagnostic in diagnostics:
        assert diagnostic.file == FILE
        assert diagnostic.line is not None
        assert diagnostic.line >= 1
        assert diagnostic.column is not None
        assert diagnostic.column >= 1
    if document is not None:
        source_map = document.source_map
        for pointer in list(source_map.values)[:20]:
            source_map.locate(pointer, key=True)
            for offset in (-1, 0, 1, 5):
                source_map.locate_in_scalar(pointer, offset)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(YAML_PIECES, max_size=40).map("".join))
def test_never_raises_on_yaml_like_text(text: str) -> None:
    _check_outcome(*parse(text))


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_never_raises_on_any_text(text: str) -> None:
    _check_outcome(*parse(text))


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_never_raises_on_any_bytes(data: bytes) -> None:
    _check_outcome(*parse(data))
