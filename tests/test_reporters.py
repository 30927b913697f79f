"""Reporters: the four output formats of ``leadcontract lint``."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sarif_support import assert_valid_sarif

from leadcontract import diagnostics as dg
from leadcontract.diagnostics import CODES, Diagnostic, Location, Severity
from leadcontract.reporters import (
    DOCS_URI,
    Format,
    artifact_uri,
    render,
    render_github,
    render_json,
    render_sarif,
    render_text,
)

VERSION = "9.8.7"

# RFC 3986 URI-reference: unreserved, reserved and percent-encoded octets only.
URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-F]{2})*$")


def sample() -> list[Diagnostic]:
    """Deliberately out of order: the reporters must sort."""
    return [
        dg.make(
            "LC502",
            "campaign webinar expects 120 leads a week; its reps can work 80",
            Location("contract/campaigns.yaml", 14, 5),
            pointer="/campaigns/webinar/expected_weekly_leads",
            hint="add reps or lower the forecast",
        ),
        dg.make(
            "LC101",
            "unknown key 'stge'",
            Location("contract/lead.yaml", 3, 7),
            pointer="/lead/lifecycle/stge",
            hint="did you mean 'stage'?",
        ),
        dg.make("LC010", "folder holds no contract files"),
    ]


FILES = ("contract/lead.yaml", "contract/campaigns.yaml")


# --- text -----------------------------------------------------------------------------------


def test_text_exact() -> None:
    assert render_text(sample(), files=FILES) == (
        "<contract>: LC010 error: folder holds no contract files\n"
        "contract/campaigns.yaml:14:5: LC502 warning: "
        "campaign webinar expects 120 leads a week; its reps can work 80\n"
        "  hint: add reps or lower the forecast\n"
        "contract/lead.yaml:3:7: LC101 error: unknown key 'stge'\n"
        "  hint: did you mean 'stage'?\n"
        "2 errors, 1 warning in 2 files\n"
    )


def test_text_partial_locations_and_file_count() -> None:
    diags = [
        Diagnostic("LC002", Severity.ERROR, "file is empty", file="a.yaml"),
        Diagnostic("LC005", Severity.ERROR, "bad yaml", file="b.yaml", line=4),
    ]
    # Files named only by diagnostics are counted too.
    assert render_text(diags) == (
        "a.yaml: LC002 error: file is empty\n"
        "b.yaml:4: LC005 error: bad yaml\n"
        "2 errors, 0 warnings in 2 files\n"
    )


def test_text_empty() -> None:
    assert render_text([], files=["one.yaml"]) == "no problems in 1 file\n"
    assert render_text([]) == "no problems in 0 files\n"
    assert render([], Format.TEXT, tool_version=VERSION, files=FILES) == (
        "no problems in 2 files\n"
    )


# --- json -----------------------------------------------------------------------------------


def test_json_document() -> None:
    out = render_json(sample(), tool_version=VERSION)
    assert out.endswith("}\n")
    doc = json.loads(out)
    assert doc["version"] == VERSION
    assert doc["summary"] == {"errors": 2, "warnings": 1}
    assert [d["code"] for d in doc["diagnostics"]] == ["LC010", "LC502", "LC101"]
    assert doc["diagnostics"][2] == {
        "code": "LC101",
        "name": "schema.unknown-key",
        "severity": "error",
        "message": "unknown key 'stge'",
        "file": "contract/lead.yaml",
        "line": 3,
        "column": 7,
        "pointer": "/lead/lifecycle/stge",
        "hint": "did you mean 'stage'?",
    }
    # Sorted keys, indent 2.
    assert out == json.dumps(doc, sort_keys=True, indent=2) + "\n"


def test_json_empty() -> None:
    doc = json.loads(render_json([], tool_version=VERSION))
    assert doc == {"version": VERSION, "diagnostics": [], "summary": {"errors": 0, "warnings": 0}}


# --- github ---------------------------------------------------------------------------------


def test_github_exact() -> None:
    assert render_github(sample()) == (
        "::error title=LC010 input.no-contract-files::folder holds no contract files\n"
        "::warning file=contract/campaigns.yaml,line=14,col=5,"
        "title=LC502 campaign.capacity-shortfall::"
        "campaign webinar expects 120 leads a week; its reps can work 80"
        " — hint: add reps or lower the forecast\n"
        "::error file=contract/lead.yaml,line=3,col=7,title=LC101 schema.unknown-key::"
        "unknown key 'stge' — hint: did you mean 'stage'?\n"
    )


def test_github_escaping() -> None:
    diag = dg.make(
        "LC101",
        "50% of\r\nkeys: a,b",
        Location("dir,with:odd%chars/x.yaml", 1, 2),
        hint="line1\nline2",
    )
    assert render_github([diag]) == (
        "::error file=dir%2Cwith%3Aodd%25chars/x.yaml,line=1,col=2,"
        "title=LC101 schema.unknown-key::"
        "50%25 of%0D%0Akeys: a,b — hint: line1%0Aline2\n"
    )


def test_github_empty() -> None:
    assert render_github([]) == ""


# --- sarif ----------------------------------------------------------------------------------


def all_uris(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k in {"uri", "helpUri", "informationUri"}]
        return found + [u for v in node.values() for u in all_uris(v)]
    if isinstance(node, list):
        return [u for v in node for u in all_uris(v)]
    return []


def test_sarif_document() -> None:
    files = [*FILES, "contract/with space.yaml"]
    doc = json.loads(render_sarif(sample(), tool_version=VERSION, files=files))
    assert_valid_sarif(doc)
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    [run] = doc["runs"]

    driver = run["tool"]["driver"]
    assert driver["name"] == "leadcontract"
    assert driver["version"] == VERSION
    assert driver["informationUri"] == "https://github.com/leadcontract/leadcontract"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == list(CODES)
    lc502 = rules[list(CODES).index("LC502")]
    assert lc502 == {
        "id": "LC502",
        "name": "campaign.capacity-shortfall",
        "shortDescription": {"text": CODES["LC502"].summary},
        "fullDescription": {"text": CODES["LC502"].why},
        "defaultConfiguration": {"level": "warning"},
        "helpUri": f"{DOCS_URI}#lc502",
    }
    assert lc502["helpUri"].endswith("docs/diagnostics.md#lc502")

    assert run["artifacts"] == [
        {"location": {"uri": "contract/lead.yaml"}},
        {"location": {"uri": "contract/campaigns.yaml"}},
        {"location": {"uri": "contract/with%20space.yaml"}},
    ]

    results = run["results"]
    assert [r["ruleId"] for r in results] == ["LC010", "LC502", "LC101"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert "locations" not in results[0]
    assert results[0]["level"] == "error"
    assert results[1] == {
        "ruleId": "LC502",
        "ruleIndex": list(CODES).index("LC502"),
        "level": "warning",
        "message": {
            "text": "campaign webinar expects 120 leads a week; its reps can work 80"
            " — hint: add reps or lower the forecast"
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "contract/campaigns.yaml", "index": 1},
                    "region": {"startLine": 14, "startColumn": 5},
                },
                "logicalLocations": [
                    {"fullyQualifiedName": "/campaigns/webinar/expected_weekly_leads"}
                ],
            }
        ],
    }
    assert results[2]["locations"][0]["physicalLocation"]["artifactLocation"]["index"] == 0

    for uri in all_uris(doc):
        assert URI_REFERENCE.match(uri), uri


def test_sarif_unusual_locations() -> None:
    diags = [
        # Not among the listed files: no artifact index. Spaces and non-ASCII are encoded.
        Diagnostic("LC005", Severity.ERROR, "bad yaml", file="my dir/lé#1.yaml", line=2),
        # Pointer only.
        Diagnostic("LC401", Severity.ERROR, "unreachable", pointer="/lead/lifecycle/stages/x"),
        # Severity overridden from the registered default.
        dg.make("LC805", "outside", Location("a.yaml", 1, 1), severity=Severity.ERROR),
    ]
    doc = json.loads(render_sarif(diags, tool_version=VERSION))
    assert_valid_sarif(doc)
    [run] = doc["runs"]
    assert "artifacts" not in run
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["LC005"]["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "my%20dir/l%C3%A9%231.yaml"},
                "region": {"startLine": 2},
            }
        }
    ]
    assert by_rule["LC401"]["locations"] == [
        {"logicalLocations": [{"fullyQualifiedName": "/lead/lifecycle/stages/x"}]}
    ]
    assert by_rule["LC805"]["level"] == "error"
    assert by_rule["LC805"]["message"] == {"text": "outside"}
    for uri in all_uris(doc):
        assert URI_REFERENCE.match(uri), uri


def test_sarif_empty() -> None:
    doc = json.loads(render_sarif([], tool_version=VERSION))
    assert_valid_sarif(doc)
    [run] = doc["runs"]
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == len(CODES)


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("contract/lead.yaml", "contract/lead.yaml"),
        ("a b/c%d.yaml", "a%20b/c%25d.yaml"),
        ("x:y.yaml", "x%3Ay.yaml"),
        ("sub\\win.yaml", "sub/win.yaml"),
        ("/abs/p q.yaml", "file:///abs/p%20q.yaml"),
        ("C:\\work\\c.yaml", "file:///C:/work/c.yaml"),
    ],
)
def test_artifact_uri(path: str, uri: str) -> None:
    assert artifact_uri(path) == uri


# --- dispatch and determinism ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(Format))
def test_render_dispatch_and_determinism(fmt: Format) -> None:
    first = render(sample(), fmt, tool_version=VERSION, files=FILES)
    again = render(reversed(sample()), fmt, tool_version=VERSION, files=FILES)
    assert first == again
    assert first.encode("utf-8") == again.encode("utf-8")
    expected = {
        Format.TEXT: render_text(sample(), files=FILES),
        Format.JSON: render_json(sample(), tool_version=VERSION),
        Format.GITHUB: render_github(sample()),
        Format.SARIF: render_sarif(sample(), tool_version=VERSION, files=FILES),
    }[fmt]
    assert first == expected


def test_render_accepts_format_names() -> None:
    assert render([], "json", tool_version=VERSION) == render_json([], tool_version=VERSION)
    with pytest.raises(ValueError, match="xml"):
        render([], "xml", tool_version=VERSION)


def test_render_consumes_iterators_once() -> None:
    out = render(iter(sample()), Format.SARIF, tool_version=VERSION)
    assert len(json.loads(out)["runs"][0]["results"]) == 3
