"""``leadcontract init``: a fresh folder lints clean, passes its tests and evaluates its data."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from leadcontract import cli
from leadcontract.authoring.init import ScaffoldError, propose_fields, scaffold
from leadcontract.loader import load

HERE = Path(__file__).resolve().parent
EXAMPLE_LEADS = HERE.parent / "contracts" / "example" / "data" / "leads.csv"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    "options",
    [[], ["--crm", "salesforce"], ["--crm", "hubspot"], ["--from-export", str(EXAMPLE_LEADS)]],
    ids=["plain", "salesforce", "hubspot", "from-export"],
)
def test_init_then_lint_then_test_then_evaluate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str]
) -> None:
    folder = tmp_path / "northwind"
    code, out, err = run(["init", str(folder), *options], capsys)
    assert (code, err) == (0, "")
    assert "next: leadcontract lint" in out
    code, out, err = run(["lint", "--strict", str(folder)], capsys)
    assert (code, out, err) == (0, "no problems in 5 files\n", "")
    code, out, err = run(["test", str(folder), "--coverage"], capsys)
    assert (code, err) == (0, ""), out
    assert "4 passed, 0 failed" in out
    assert "coverage: 86.4% (19 of 22 items)" in out
    data = folder / "data"
    argv = ["evaluate", str(folder), "--leads", str(data / "leads.csv")]
    argv += ["--events", str(data / "events.jsonl"), "--as-of", "2030-01-01T00:00:00Z"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    verdicts = [json.loads(line) for line in out.splitlines()]
    assert [(v["lead_id"], v["stage"]["id"]) for v in verdicts] == [
        ("S1", "sql"),
        ("S2", "mql"),
        ("S3", "inquiry"),
    ]
    assert "3 read, 3 verdicts, 0 error rows" in err


@pytest.mark.parametrize(
    ("crm", "columns"),
    [
        ("salesforce", ["Id", "Email", "LastName", "Company", "NumberOfEmployees", "CreatedDate"]),
        ("hubspot", ["hs_object_id", "email", "lastname", "numemployees", "createdate"]),
    ],
)
def test_crm_presets_use_the_crm_column_names(tmp_path: Path, crm: str, columns: list[str]) -> None:
    scaffold(tmp_path / "c", start=date(2026, 3, 4), crm=crm)  # type: ignore[arg-type]
    with (tmp_path / "c" / "data" / "leads.csv").open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert set(columns) <= set(header)
    lead = (tmp_path / "c" / "lead.yaml").read_text(encoding="utf-8")
    assert all(f'source: "{c}"' in lead for c in columns if c not in ("email",))


def test_the_scaffold_is_commented_and_owned_by_both_sides(tmp_path: Path) -> None:
    written = scaffold(tmp_path / "c", start=date(2026, 3, 4))
    loaded = load(tmp_path / "c")
    assert loaded.contract is not None
    contract = loaded.contract
    assert {o.team.value for o in contract.metadata.owners} == {"marketing", "sales"}
    assert (len(contract.calendars), len(contract.campaigns)) == (1, 1)
    assert (len(contract.slas), len(contract.spiffs)) == (2, 1)
    assert [s.id for s in contract.lead.lifecycle.stages][:4] == ["inquiry", "mql", "sal", "sql"]
    assert contract.metadata.effective.start == date(2026, 3, 4)
    assert all("#" in p.read_text(encoding="utf-8") for p in written if p.suffix == ".yaml")


def test_sample_week_starts_on_the_monday_after_start(tmp_path: Path) -> None:
    scaffold(tmp_path / "c", start=date(2026, 3, 4))  # a Wednesday
    cases = (tmp_path / "c" / "tests" / "sample.yaml").read_text(encoding="utf-8")
    assert "created_at: 2026-03-09T14:00:00Z" in cases
    assert "as_of: 2026-03-18T17:00:00Z" in cases


def test_an_export_proposes_fields_and_types(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(
        "Record ID,Email,Lifetime Value,Is Partner,Signup Day,Last Seen,Notes,Seats\n"
        "1,a@b.example,12.5,true,2026-01-02,2026-01-02T10:00:00Z,hello,3\n"
        "2,c@d.example,,false,2026-01-03,,,4\n",
        encoding="utf-8",
    )
    proposed = {c.name: (c.field, c.type, c.role) for c in propose_fields(export)}
    assert proposed == {
        "Record ID": ("lead_id", "string", True),
        "Email": ("email", "string", True),
        "Lifetime Value": ("lifetime_value", "number", False),
        "Is Partner": ("is_partner", "boolean", False),
        "Signup Day": ("signup_day", "date", False),
        "Last Seen": ("last_seen", "datetime", False),
        "Notes": ("notes", "string", False),
        "Seats": ("seats", "integer", False),
    }


def test_a_json_export_proposes_fields_as_a_csv_does(tmp_path: Path) -> None:
    """A Salesforce query result saved as JSON (``{"records": [...]}``, each record with its
    ``attributes``) and JSON Lines read through the input layer, as ``evaluate`` reads them:
    the record keys are the columns (not the text's first line read as a CSV header)."""
    records = [
        {
            "attributes": {"type": "Lead", "referenceId": "LeadRef1"},
            "Email": "kakin@athenahome.example",
            "NumberOfEmployees": 130,
            "IsConverted": False,
            "Status": "Working - Contacted",
        },
        {"attributes": {"type": "Lead"}, "Email": "b@c.example", "IsConverted": True},
    ]
    soql = tmp_path / "Lead.json"
    soql.write_text(json.dumps({"records": records}, indent=4), encoding="utf-8")
    lines = tmp_path / "leads.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    for export in (soql, lines):
        proposed = {c.name: (c.field, c.type, c.role) for c in propose_fields(export)}
        assert proposed == {
            "Email": ("email", "string", True),
            "NumberOfEmployees": ("employees", "integer", True),
            "IsConverted": ("is_converted", "boolean", False),
            "Status": ("status", "string", False),
        }, export
    broken = tmp_path / "broken.json"
    broken.write_text('{"records": [', encoding="utf-8")
    with pytest.raises(ScaffoldError, match=r"cannot read .*broken\.json"):
        propose_fields(broken)


def test_an_excel_csv_is_read_as_evaluate_reads_it(tmp_path: Path) -> None:
    """A CSV export goes through the input layer: a file ``evaluate`` refuses (separated by
    ``;``, UTF-16) or a record it cannot read (Windows-1252 bytes) is named with its file and
    line, instead of a field proposed from the whole ``;``-joined header or a codec's error
    without a line; Excel's unnamed trailing columns propose no field (no ``source: ""``)."""
    semicolon = tmp_path / "semicolon.csv"
    semicolon.write_bytes(b"\xef\xbb\xbfRecord ID;Email;Seats\r\n1;a@b.example;3\r\n")
    with pytest.raises(ScaffoldError, match=rf"{semicolon}:1: .*separated by ';'"):
        propose_fields(semicolon)
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("Record ID,Email\r\n1,a@b.example\r\n".encode("utf-16"))
    with pytest.raises(ScaffoldError, match=rf"{utf16}:1: the file is UTF-16.*save it as UTF-8"):
        propose_fields(utf16)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        "Record ID,Email\r\n1,a@b.example\r\n2,b\u00f6@c.example\r\n".encode("cp1252")
    )
    with pytest.raises(ScaffoldError, match=rf"{latin}:3: record 2: Email: not valid UTF-8"):
        propose_fields(latin)
    unnamed = tmp_path / "unnamed.csv"
    unnamed.write_text("Record ID,Seats,,\n1,3,,\n", encoding="utf-8")
    proposed = {c.name: (c.field, c.type) for c in propose_fields(unnamed)}
    assert proposed == {"Record ID": ("lead_id", "string"), "Seats": ("seats", "integer")}


def test_a_salesforce_report_export_plays_the_roles(tmp_path: Path) -> None:
    """A Lead report from the Salesforce UI labels its columns: "Company / Account" and "No.
    of Employees" are the company and employees roles (else `company`, required, read a
    column the export lacks, and every lead became an error row)."""
    export = tmp_path / "report.csv"
    export.write_text(
        '"Lead ID","Company / Account","No. of Employees","Create Date"\n'
        '"00Q1","Acme","120","10/5/2026 3:56 PM"\n',
        encoding="utf-8",
    )
    proposed = {c.name: (c.field, c.role) for c in propose_fields(export)}
    assert proposed["Company / Account"] == ("company", True)
    assert proposed["No. of Employees"] == ("employees", True)


def test_a_hubspot_v3_export_proposes_its_nested_properties(tmp_path: Path) -> None:
    """The HubSpot v3 API nests every property (`{"id": ..., "properties": {...}}`): they are
    columns by their dotted name, playing their roles by their own name (all of them were
    left out, and `--crm hubspot` then read `email`, a column the export lacks); a related
    record's values (Salesforce's `Owner.Email`) play no role of the lead."""
    export = tmp_path / "contacts.json"
    record = {
        "id": "1501",
        "properties": {"email": "a@b.example", "createdate": "2026-10-05T08:00:00.000Z"},
        "Owner": {"attributes": {"type": "User"}, "Email": "ana@corp.example", "Seats": 3},
    }
    export.write_text(json.dumps([record]), encoding="utf-8")
    proposed = {c.name: (c.field, c.type, c.role) for c in propose_fields(export)}
    assert proposed == {
        "id": ("lead_id", "string", True),
        "properties.email": ("email", "string", True),
        "properties.createdate": ("created_at", "datetime", True),
        "Owner.Email": ("owner_email", "string", False),  # the owner's, not the lead's
        "Owner.Seats": ("owner_seats", "integer", False),
    }
    scaffold(tmp_path / "c", start=date(2026, 10, 1), crm="hubspot", export=export)
    text = (tmp_path / "c" / "lead.yaml").read_text(encoding="utf-8")
    assert 'email: {type: string, required: true, pii: true, source: "properties.email"}' in text


@pytest.mark.parametrize(
    ("header", "roles"),
    [
        (  # Zoho CRM
            "Record Id,Lead Owner,Email,Company,Created Time",
            ["lead_id", "owner", "email", "company", "created_at"],
        ),
        (  # Microsoft Dynamics 365, exported to CSV
            "(Do Not Modify) Lead,Email,Company Name,Owner,Created On",
            ["lead_id", "email", "company", "owner", "created_at"],
        ),
        (  # Pipedrive leads
            "Lead - ID,Lead - Owner,Person - Email - Work,Organization - Name,Lead - Created",
            ["lead_id", "owner", "email", "company", "created_at"],
        ),
        (  # HubSpot's contacts view, "Export" (labels; the preset knows "Contact owner" too)
            "Record ID,Email,Company Name,Contact owner,Create Date",
            ["lead_id", "email", "company", "owner", "created_at"],
        ),
    ],
    ids=["zoho", "dynamics", "pipedrive", "hubspot-ui"],
)
def test_other_crms_exports_play_the_roles(tmp_path: Path, header: str, roles: list[str]) -> None:
    """Exports of other CRMs name the roles their way: the creation time as "Created Time",
    "Created On" or "Lead - Created" became a field of its own, and `created_at`, required,
    read a column the export lacks (every lead an error row)."""
    export = tmp_path / "export.csv"
    export.write_text(header + "\n", encoding="utf-8")
    assert [(c.field, c.role) for c in propose_fields(export)] == [(r, True) for r in roles]


def test_codes_with_leading_zeros_stay_text(tmp_path: Path) -> None:
    """A postal code 02134 read as a whole number would lose its zero: digits with a leading
    zero are a code, so the proposed type is string."""
    export = tmp_path / "export.csv"
    export.write_text("PostalCode,Seats\n02134,3\n94087,0\n", encoding="utf-8")
    proposed = {c.name: c.type for c in propose_fields(export)}
    assert proposed == {"PostalCode": "string", "Seats": "integer"}


def test_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x.yaml").write_text("a: 1\n", encoding="utf-8")
    code, _, err = run(["init", str(tmp_path / "taken")], capsys)
    assert (code, "not an empty folder" in err) == (2, True)
    code, _, err = run(["init", str(tmp_path / "new"), "--from-export", "nope.csv"], capsys)
    assert (code, "no such file" in err) == (2, True)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="expected a header row"):
        propose_fields(empty)
