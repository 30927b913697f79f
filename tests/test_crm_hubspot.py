"""Raw HubSpot exports evaluate with nothing but a contract that extends the preset.

tests/data/crm/hubspot holds contacts by HubSpot property name (hs_object_id, createdate,
hubspot_owner_id, lifecyclestage, hs_analytics_source_data_1) and engagements as the
Engagements API writes them: `{"engagement": {"type", "timestamp" (ms), "ownerId"},
"associations": {"contactIds": [...]}}`, one per line.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadcontract.cli import main
from leadcontract.engine import compile_contract
from leadcontract.inputs import RawRecord, RecordError
from leadcontract.loader import load
from leadcontract.verdict import Verdict

HS = Path(__file__).resolve().parent / "data" / "crm" / "hubspot"
AS_OF = datetime(2026, 10, 6, tzinfo=UTC)


def compiled():  # type: ignore[no-untyped-def]
    loaded = load(HS / "contract.yaml")
    assert loaded.contract is not None, loaded.diagnostics
    return compile_contract(loaded.contract)


def test_contacts_and_engagements_give_verdicts_and_reconcile() -> None:
    evaluation = compiled().evaluate(
        HS / "contacts.csv", HS / "engagements.jsonl", as_of=AS_OF, trace=False
    )
    items = list(evaluation)
    assert [i for i in items if isinstance(i, RecordError)] == []
    verdicts = {v.lead_id: v for v in items if isinstance(v, Verdict)}
    assert sorted(verdicts) == ["1501", "1502", "1503"]
    # EMAIL at 09:00 UTC (1 h after createdate) by owner 51234567: a touch on email, in time
    first = verdicts["1501"]
    assert (first.campaign, first.owner, first.stage.id) == ("webinar-q4", "51234567", "mql")
    assert first.first_touch_at == datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    assert [(s.status, s.party) for s in first.slas] == [("met", None)]
    # an empty hs_analytics_source_data_1 maps to the `website` campaign (value_map "")
    assert verdicts["1502"].campaign == "website"
    # CALL 3.5 h after creation: late; a MEETING is not a touch
    assert [(s.status, s.party) for s in verdicts["1502"].slas] == [("breached", "sales")]
    assert verdicts["1503"].touches == 0
    counts = evaluation.counts
    assert counts.reconciles
    assert (counts.events_read, counts.events_used, counts.events_unmapped) == (5, 3, 2)
    unmapped = {f.kind: dict(f.values) for f in evaluation.drift.findings()}["unmapped-event"]
    assert unmapped == {"engagement.type=INCOMING_EMAIL": 1, "engagement.type=NOTE": 1}


def test_an_engagement_with_several_contacts_is_an_error_row_not_a_guess() -> None:
    coercer = compiled().event_coercer
    row = {
        "engagement": {"type": "CALL", "timestamp": 1791190800000, "ownerId": 51234567},
        "associations": {"contactIds": [1501, 1502]},
    }
    event, errors = coercer.coerce(RawRecord("engagements.jsonl", 7, 7, row))
    assert event is None
    assert [(e.field, e.message) for e in errors] == [
        (
            "lead_id",
            'lead_id (column "associations.contactIds", mapping hubspot-call): expected one '
            "value, got a list of 2; give one row per lead",
        )
    ]


def test_flattened_engagement_columns_read_as_well(tmp_path: Path) -> None:
    """A CSV of engagements with dotted column names (as flattening tools write them)."""
    path = tmp_path / "engagements.csv"
    path.write_text(
        "engagement.type,engagement.timestamp,engagement.ownerId,associations.contactIds\n"
        "EMAIL,1791190800000,51234567,1503\n",
        encoding="utf-8",
    )
    evaluation = compiled().evaluate(HS / "contacts.csv", path, as_of=AS_OF, trace=False)
    verdicts = {v.lead_id: v for v in evaluation if isinstance(v, Verdict)}
    assert verdicts["1503"].first_touch_at == datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    assert json.loads(json.dumps(evaluation.counts.to_dict()))["events_used"] == 1


def test_the_v3_api_results_array_reads_as_the_csv_does(tmp_path: Path) -> None:
    """The CRM API v3 (docs/crm.md, step 1) nests a contact's properties under `properties`
    (`{"id": "1501", "properties": {"email": ...}}`): the preset reads `properties.NAME`, so
    the saved `results` array gives the verdicts the CSV of the same contacts gives (every
    contact was an error row, "no column email")."""
    with (HS / "contacts.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    results = [
        {
            "id": row["hs_object_id"],
            "properties": {k: v or None for k, v in row.items() if k != "campaign"},
            "createdAt": row["createdate"],
            "archived": False,
        }
        for row in rows
    ]
    export = tmp_path / "contacts.json"
    export.write_text(json.dumps(results), encoding="utf-8")
    contract = tmp_path / "contract.yaml"
    contract.write_text(
        (HS / "contract.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "source: hs_analytics_source_data_1", "source: properties.hs_analytics_source_data_1"
        ),
        encoding="utf-8",
    )
    loaded = load(contract)
    assert loaded.contract is not None, loaded.diagnostics
    v3 = compile_contract(loaded.contract)

    def summary(engine: Any, leads: Path) -> list[tuple[object, ...]]:
        items = list(engine.evaluate(leads, HS / "engagements.jsonl", as_of=AS_OF, trace=False))
        assert [i for i in items if isinstance(i, RecordError)] == []
        return [
            (v.lead_id, v.stage.id, v.owner, v.campaign, v.first_touch_at, v.slas)
            for v in items
            if isinstance(v, Verdict)
        ]

    assert summary(v3, export) == summary(compiled(), HS / "contacts.csv")


def test_lint_names_each_column_a_field_reads_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The field `email` and the preset's `email` are one column: LC953 named it twice."""
    sample = tmp_path / "contacts.csv"
    sample.write_text("hs_object_id,createdate\n1501,2026-10-05T08:00:00Z\n", encoding="utf-8")
    assert main(["lint", str(HS / "contract.yaml"), "--leads-sample", str(sample)]) == 0
    assert (
        "field `email` reads column `email` or `Email` or `properties.email`, which"
        in capsys.readouterr().out
    )
