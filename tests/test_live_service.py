"""`leadcontract serve` on loopback: CRM webhooks in, signed notifications out, on a virtual
clock; bad input gets a 4xx with the CLI's diagnostic text and never stops the service."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_support import (
    AS_OF,
    DURABLE_RULES_TIMEOUT,
    EXAMPLE,
    Recorder,
    batch_verdicts,
    compiled_contract,
    example_events,
    example_leads,
    example_with_notifications,
    hang_guard,  # noqa: F401  (autouse: a hang fails the run)
    within,
)

from leadcontract.live import Monitor, lead_state
from leadcontract.live.notify import SIGNATURE_HEADER, sign
from leadcontract.live.service import MAX_BODY, VirtualClock, create_app
from leadcontract.verdict import Verdict

SECRET = "s3cret-for-tests"
HOOK_SECRET = "hook-key"
START = datetime(2026, 10, 1, tzinfo=UTC)
STEP = timedelta(days=2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Receiver(BaseHTTPRequestHandler):
    got: list[tuple[str, dict[str, Any], bool]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        signed = self.headers.get(SIGNATURE_HEADER) == sign(HOOK_SECRET, body)
        self.got.append((self.headers["X-Leadcontract-Delivery"], json.loads(body), signed))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, dict[str, Any], bool]]]]:
    got: list[tuple[str, dict[str, Any], bool]] = []
    handler = type("Handler", (_Receiver,), {"got": got})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    server.shutdown()
    server.server_close()


def _steps() -> Iterator[tuple[datetime, list[dict[str, Any]]]]:
    events = example_events()
    now, i = START, 0
    while now < AS_OF:
        now = min(now + STEP, AS_OF)
        batch = []
        while i < len(events) and datetime.fromisoformat(events[i]["at"]) <= now:
            batch.append(events[i])
            i += 1
        yield now, batch


def _expected(contract: Path) -> dict[str, dict[str, Any]]:
    """The same replay in process: which notifications must arrive."""
    recorder = Recorder()
    monitor = Monitor(compiled_contract(contract), notifier=recorder)
    monitor.ingest_many(example_leads())
    for now, batch in _steps():
        monitor.post_many(batch)
        monitor.advance(now)
    return dict(recorder.sent)


def test_serve_on_loopback_takes_webhooks_and_sends_the_expected_notifications(
    tmp_path: Path, receiver: tuple[str, list[tuple[str, dict[str, Any], bool]]]
) -> None:
    url, got = receiver
    contract = example_with_notifications(tmp_path)
    port = _free_port()
    env = {**os.environ, "LEADCONTRACT_SECRET": SECRET, "LEADCONTRACT_WEBHOOK_SECRET": HOOK_SECRET}
    server = subprocess.Popen(
        [
            sys.executable, "-m", "leadcontract", "serve", str(contract),
            "--state", str(tmp_path / "state.db"), "--host", "127.0.0.1", "--port", str(port),
            "--webhook", url, "--virtual-clock", START.isoformat(),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {SECRET}"}
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.2)

            answer = client.post("/webhooks/leads", json=example_leads(), headers=auth)
            assert answer.status_code == 200, answer.text
            assert answer.json()["accepted"] == 240
            for now, batch in _steps():
                lines = "\n".join(json.dumps(event) for event in batch).encode()
                body = lines if len(batch) > 1 else json.dumps(batch).encode()
                signature = {SIGNATURE_HEADER: sign(SECRET, body)}  # the HMAC way in
                answer = client.post("/webhooks/events", content=body, headers=signature)
                assert answer.status_code == 200, answer.text
                assert answer.json()["accepted"] == len(batch)
                moved = client.post("/admin/clock", json={"now": now.isoformat()}, headers=auth)
                assert moved.status_code == 200, moved.text

            # Bad input: a 4xx with the diagnostic, counted; the service keeps serving.
            bad = {"lead_id": "L000002", "type": "touch", "at": "yesterday"}
            answer = client.post("/webhooks/events", json=bad, headers=auth)
            assert answer.status_code == 422
            (error,) = answer.json()["errors"]
            assert error == f"POST /webhooks/events: event 1 (lead L000002): {_cli_error(bad)}"
            assert (
                client.post("/webhooks/events", content=b"{nope", headers=auth).status_code == 400
            )
            assert client.post("/webhooks/events", json=[bad]).status_code == 401
            assert client.get("/leads/NOPE").status_code == 404

            lead = client.get("/leads/L000002")
            assert lead.status_code == 200
            batch = batch_verdicts(
                compiled_contract(contract), example_leads(), example_events(), AS_OF
            )
            assert lead.json()["verdict"] == batch["L000002"].to_dict()
            metrics = client.get("/metrics").text
            assert 'leadcontract_events_total{outcome="rejected"} 1.0' in metrics
            assert 'leadcontract_requests_total{outcome="unauthorized"} 1.0' in metrics
            assert 'leadcontract_requests_total{outcome="rejected"} 3.0' in metrics
            assert client.get("/health").json()["status"] == "ok"
    finally:
        server.terminate()
        server.communicate(timeout=30)

    expected = within(DURABLE_RULES_TIMEOUT, lambda: _expected(contract))
    assert len(expected) > 100
    ids = [ident for ident, _, _ in got]
    assert sorted(ids) == sorted(expected)  # every one, each once
    assert all(signed for _, _, signed in got)
    for ident, payload, _ in got:
        assert payload == expected[ident]
    kinds = {payload["rule"] for _, payload, _ in got}
    assert kinds == {"rep-at-75", "manager-at-breach", "marketing-feedback"}


def test_on_a_virtual_clock_a_lead_a_request_wakes_is_judged_at_once(tmp_path: Path) -> None:
    """The ticker did not run on a virtual clock: after a late touch, GET /leads/{id} answered
    the state 'breached' beside the verdict 'met', and the correction waited for the next
    POST /admin/clock. The clock stands still; the woken lead is judged at its instant."""
    port = _free_port()
    env = {**os.environ, "LEADCONTRACT_SECRET": SECRET}
    server = subprocess.Popen(
        [sys.executable, "-m", "leadcontract", "serve", str(EXAMPLE),
         "--state", str(tmp_path / "state.db"), "--port", str(port), "--tick", "0.2",
         "--virtual-clock", START.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    auth = {"Authorization": f"Bearer {SECRET}"}
    lead = example_leads()[1]
    touch = {"lead_id": lead["Id"], "type": "touch", "channel": "phone"}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.2)
            client.post("/webhooks/leads", json=lead, headers=auth)
            moved = client.post("/admin/clock", json={"now": "2026-10-03T00:00:00Z"}, headers=auth)
            assert moved.json()["notifications"] > 0  # the breach, told
            late = {**touch, "at": "2026-10-01T14:00:00Z"}
            assert client.post("/webhooks/events", json=late, headers=auth).status_code == 200

            def judged() -> str:
                while True:  # the ticker's round comes at once; fails (does not hang) if never
                    answer = client.get(f"/leads/{lead['Id']}").json()
                    if answer["state"]["slas"]["first-touch-demo"] == "met":
                        return str(answer["verdict"]["as_of"])
                    time.sleep(0.1)

            assert within(30, judged) == "2026-10-03T00:00:00Z"  # the clock stood still
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _cli_error(event: dict[str, Any]) -> str:
    """What `leadcontract watch` says about the same bad event (after its source label)."""
    run = subprocess.run(
        [sys.executable, "-m", "leadcontract", "watch", str(example_with_notifications_dir()),
         "--state", ":memory:", "--tick", "3600"],
        input=json.dumps(event) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    line = run.stderr.strip().splitlines()[-1]
    assert line.startswith("<stdin>:1: event ")
    return line.split(": ", 2)[2]


def example_with_notifications_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "contracts" / "example"


class _InProcess:
    """Requests straight into the ASGI app (httpx's ASGI transport), one call at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://live") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(call())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._call("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._call("POST", url, **kwargs)


@pytest.fixture
def app_client() -> tuple[_InProcess, Monitor]:
    monitor = Monitor(compiled_contract())
    clock = VirtualClock(START)
    app = create_app(monitor, secret=SECRET, clock=clock, virtual=clock)
    return _InProcess(app), monitor


def test_every_kind_of_bad_request_gets_a_4xx_and_the_service_keeps_answering(
    app_client: tuple[_InProcess, Monitor],
) -> None:
    client, monitor = app_client
    auth = {"Authorization": f"Bearer {SECRET}"}

    def run() -> None:
        cases = [
            (b"", 400, "empty request body"),
            (b"\xff\xfe", 400, "not UTF-8"),
            (b'{"a": 1}\n{"b": ', 400, "POST /webhooks/events:2: not JSON"),
            (b"[1, 2]", 422, "expected a JSON object, got int"),
            (b'{"lead_id": "L1", "type": "touch"}', 422, "missing-key"),
        ]
        for body, status, text in cases:
            answer = client.post("/webhooks/events", content=body, headers=auth)
            assert answer.status_code == status, (body, answer.text)
            assert text in " ".join(answer.json()["errors"]), answer.text
        wrong = client.post(
            "/webhooks/events", content=b"{}", headers={"Authorization": "Bearer x"}
        )
        assert wrong.status_code == 401
        assert client.get("/leads/L1?as_of=soon").status_code == 400
        assert (
            client.post("/admin/clock", json={"now": "2026-10-02"}, headers=auth).status_code == 400
        )
        assert client.get("/health").status_code == 200

    within(DURABLE_RULES_TIMEOUT, run)
    assert monitor.counters["events_rejected"] == 3


def test_a_duplicate_key_or_a_lone_surrogate_is_a_bad_request_as_in_batch(
    app_client: tuple[_InProcess, Monitor],
) -> None:
    """Batch refuses them (the last duplicate would win unseen; a lone surrogate is no text;
    a NaN would be read as no value); the service took them, and answered deep nesting with
    a 500."""
    client, monitor = app_client
    auth = {"Authorization": f"Bearer {SECRET}"}
    event = '"type": "touch", "at": "2026-10-01T14:00:00Z"'
    twice = '{"lead_id": "L1", "lead_id": "L2", ' + event + "}"

    def run() -> None:
        cases = [
            (twice, 'duplicate key "lead_id"'),
            ('{"lead_id": "L1", ' + event + ', "note": "\\ud800"}', "lone surrogate (\\ud800)"),
            ("{}\n" + twice, ":2: refused: duplicate key"),
            ('{"lead_id": "L1", ' + event + ', "x": NaN}', "NaN is not a JSON value"),
            ('[{"lead_id": "L1", ' + event + "}, -Infinity]", "-Infinity is not a JSON value"),
            ("[" * 100_000 + "]" * 100_000, ":1: not JSON: nested too deeply"),  # was a 500
        ]
        for body, text in cases:
            answer = client.post("/webhooks/events", content=body.encode(), headers=auth)
            assert answer.status_code == 400, (body, answer.text)
            assert text in " ".join(answer.json()["errors"]), answer.text

    within(DURABLE_RULES_TIMEOUT, run)
    assert monitor.counters["events_in"] == 0


def test_the_admin_clock_does_not_go_back_and_says_what_it_expects(
    app_client: tuple[_InProcess, Monitor],
) -> None:
    """Moving the clock back was answered 200 with the earlier ``now`` while the monitor's clock
    stayed where it was; a body without ``now`` was answered "now 'None' is not an ISO 8601
    time"."""
    client, monitor = app_client
    auth = {"Authorization": f"Bearer {SECRET}"}

    def run() -> None:
        ahead = client.post("/admin/clock", json={"now": "2026-10-05T00:00:00Z"}, headers=auth)
        assert ahead.status_code == 200, ahead.text
        back = client.post("/admin/clock", json={"now": "2026-10-04T00:00:00Z"}, headers=auth)
        assert back.status_code == 409, back.text
        assert back.json()["errors"] == [
            "POST /admin/clock: the monitor's clock stands at 2026-10-05T00:00:00+00:00; it "
            "does not go back to 2026-10-04T00:00:00+00:00"
        ]
        same = client.post("/admin/clock", json={"now": "2026-10-05T00:00:00Z"}, headers=auth)
        assert same.status_code == 200, same.text
        for body in ({}, [], 5, {"now": 5}, [{"now": "2026-10-06T00:00:00Z"}, {}]):
            shapeless = client.post("/admin/clock", json=body, headers=auth)
            assert shapeless.status_code == 400, (body, shapeless.text)
            assert shapeless.json()["errors"] == [
                'POST /admin/clock: expected {"now": "2026-11-16T17:00:00Z"}'
            ]
        assert client.get("/health").json()["clock"] == "2026-10-05T00:00:00+00:00"

    within(DURABLE_RULES_TIMEOUT, run)
    assert monitor.clock == datetime(2026, 10, 5, tzinfo=UTC)


def test_a_lead_is_answered_before_the_monitor_first_advances() -> None:
    """On a virtual clock that has not moved yet the monitor has no clock of its own, and a
    lead accepted a moment before was answered 404 "no record of it"; it is judged as of the
    service's clock (the virtual clock's START). A lead asked about before it was created is
    "not yet created" (batch gives no verdict either), not "no record of it"."""
    monitor = Monitor(compiled_contract())
    start = datetime(2026, 10, 1, 18, tzinfo=UTC)
    clock = VirtualClock(start)
    client = _InProcess(create_app(monitor, secret=SECRET, clock=clock, virtual=clock))
    auth = {"Authorization": f"Bearer {SECRET}"}
    lead = example_leads()[1]  # created 2026-10-01 13:30 UTC

    def run() -> list[httpx.Response]:
        posted = client.post("/webhooks/leads", json=lead, headers=auth)
        assert posted.status_code == 200, posted.text
        return [
            client.get(f"/leads/{lead['Id']}"),
            client.get(f"/leads/{lead['Id']}?as_of=2026-10-01T12:00:00Z"),
            client.get("/leads/NOPE"),
        ]

    answer, early, unknown = within(DURABLE_RULES_TIMEOUT, run)
    assert answer.status_code == 200, answer.text
    assert monitor.clock is None
    verdict = answer.json()["verdict"]
    assert verdict == batch_verdicts(compiled_contract(), [lead], [], start)[lead["Id"]].to_dict()
    assert answer.json()["state"] is None  # not judged yet
    assert (early.status_code, early.json()["errors"]) == (
        404,
        ["lead `L000002`: not yet created as of 2026-10-01T12:00:00Z"],
    )
    assert (unknown.status_code, unknown.json()["errors"]) == (
        404,
        ["lead `NOPE`: no record of it"],
    )


def test_requests_are_answered_while_a_notification_is_being_sent() -> None:
    """The service held its lock through delivery: with the receiver down, a webhook retrying
    with backoff took seconds per notification, and a CRM's POST (and /health) waited 25 s
    behind eight leads' notifications. The lock is now let go while a notification is sent."""
    sending = threading.Event()
    release = threading.Event()

    class Stuck:
        def send(self, notification_id: str, payload: Any) -> None:
            sending.set()
            release.wait(timeout=DURABLE_RULES_TIMEOUT)

    monitor = Monitor(compiled_contract(), notifier=Stuck())
    clock = VirtualClock(START)
    client = _InProcess(create_app(monitor, secret=SECRET, clock=clock, virtual=clock))
    auth = {"Authorization": f"Bearer {SECRET}"}
    lead = example_leads()[1]
    assert client.post("/webhooks/leads", json=lead, headers=auth).status_code == 200
    moved: list[httpx.Response] = []
    mover = threading.Thread(
        target=lambda: moved.append(
            client.post("/admin/clock", json={"now": "2026-10-02T00:00:00Z"}, headers=auth)
        ),
        daemon=True,
    )
    mover.start()
    try:
        assert sending.wait(timeout=DURABLE_RULES_TIMEOUT)  # delivery has begun, and is stuck
        event = {"lead_id": lead["Id"], "type": "touch", "at": "2026-10-01T20:00:00Z"}
        posted = within(30, lambda: client.post("/webhooks/events", json=event, headers=auth))
        assert posted.status_code == 200, posted.text
        assert within(30, lambda: client.get("/health")).status_code == 200
    finally:
        release.set()
        mover.join(timeout=DURABLE_RULES_TIMEOUT)
    assert [answer.status_code for answer in moved] == [200]
    assert monitor.store.counts()["outbox_pending"] == 0


def test_instants_beyond_the_supported_dates_are_bad_requests(
    app_client: tuple[_InProcess, Monitor],
) -> None:
    """``?as_of=9999-...`` was a 500 (DateRangeError); the admin clock moved to 2300 was
    taken, and from then on every verdict was a 500 and the clock could not come back."""
    client, monitor = app_client
    auth = {"Authorization": f"Bearer {SECRET}"}
    lead = example_leads()[1]

    def run() -> list[httpx.Response]:
        client.post("/webhooks/leads", json=lead, headers=auth)
        return [
            client.post("/admin/clock", json={"now": "2300-01-01T00:00:00Z"}, headers=auth),
            client.get(f"/leads/{lead['Id']}?as_of=9999-12-31T23:59:59Z"),
            client.get(f"/leads/{lead['Id']}?as_of=0001-01-01T00:00:00Z"),
            client.get(f"/leads/{lead['Id']}"),
        ]

    moved, late, early, now = within(DURABLE_RULES_TIMEOUT, run)
    for answer in (moved, late, early):
        assert answer.status_code == 400, answer.text
        assert "is outside the supported dates" in answer.json()["errors"][0]
    assert moved.json()["errors"] == [
        "now 2300-01-01T00:00:00+00:00 is outside the supported dates "
        "(1900-01-01T00:00:00Z to 2200-01-01T00:00:00Z)"
    ]
    assert monitor.clock is None
    assert now.json()["errors"] == ["lead `L000002`: not yet created as of 2026-10-01T00:00:00Z"]


def test_a_failing_round_of_judging_shows_in_health_and_metrics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ticker counted a failed round in a figure neither /health nor /metrics showed:
    with the disk full, /health answered 'ok' while no lead was judged and nothing told."""
    monitor = Monitor(compiled_contract())
    app = create_app(monitor, secret=SECRET, clock=lambda: START)
    client = _InProcess(app)
    service = app.state.service
    full = OSError(28, "No space left on device")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise full

    def run() -> tuple[httpx.Response, str, httpx.Response]:
        with monkeypatch.context() as patch:
            patch.setattr(monitor, "advance", broken)
            assert service.round() is False
            failing = client.get("/health")
            metrics = client.get("/metrics").text
        assert service.round() is True
        return failing, metrics, client.get("/health")

    failing, metrics, healthy = within(DURABLE_RULES_TIMEOUT, run)
    assert failing.status_code == 503
    assert failing.json()["status"] == "failing"
    assert failing.json()["error"] == (
        "the latest round of judging failed: OSError: [Errno 28] No space left on device"
    )
    assert "leadcontract_rounds_failed_total 1.0" in metrics
    assert (healthy.status_code, healthy.json()["status"]) == (200, "ok")
    assert "error" not in healthy.json()


def test_health_copies_the_counters_under_the_monitors_lock() -> None:
    """A round adds keys to the monitor's counters in another thread; /health copied them
    without the lock, and copying a dict while it grows raises RuntimeError (a 500)."""
    monitor = Monitor(compiled_contract())
    app = create_app(monitor, secret=SECRET, clock=lambda: START)
    service = app.state.service
    copied_unlocked: list[str] = []

    class Watched(Counter[str]):
        def keys(self) -> Any:
            if not service.lock.locked():
                copied_unlocked.append("keys")
            return super().keys()

        def __iter__(self) -> Any:
            if not service.lock.locked():
                copied_unlocked.append("iter")
            return super().__iter__()

    monitor.counters = Watched({"events_in": 3})
    answer = within(DURABLE_RULES_TIMEOUT, lambda: _InProcess(app).get("/health"))
    assert answer.json()["counters"] == {"events_in": 3}
    assert copied_unlocked == []


def test_json_lines_end_at_a_newline_only_as_batch_reads_them(
    app_client: tuple[_InProcess, Monitor],
) -> None:
    """JSON lets a string hold U+2028, U+2029 and U+0085 unescaped, and batch and watch end
    a line at "\\n" only; the service split the body with str.splitlines(), which breaks at
    those too, and refused valid JSON Lines as 'not JSON'."""
    client, monitor = app_client
    auth = {"Authorization": f"Bearer {SECRET}"}
    lines = [
        {"lead_id": "L1", "type": "touch", "at": "2026-10-01T14:00:00Z", "note": "a\u2028b"},
        {"lead_id": "L1", "type": "touch", "at": "2026-10-01T15:00:00Z", "note": "c\x85d"},
    ]
    body = "\r\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n\n"

    def run() -> None:
        answer = client.post("/webhooks/events", content=body.encode(), headers=auth)
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == 2

    within(DURABLE_RULES_TIMEOUT, run)
    assert [e["note"] for e in monitor.store.events("L1")] == ["a\u2028b", "c\x85d"]


def test_a_body_over_the_limit_is_refused_without_being_read_whole(
    app_client: tuple[_InProcess, Monitor],
) -> None:
    """The service read every body whole before looking at its size: one 300 MB request,
    signed or not, took 660 MB of its memory. It stops reading at the limit (or at once, by
    the declared length) and answers 413."""
    client, monitor = app_client
    auth = {"Authorization": f"Bearer {SECRET}"}
    chunk = b" " * (1024 * 1024)
    read = [0]

    async def body() -> Any:
        for _ in range(4 * MAX_BODY // len(chunk)):
            read[0] += len(chunk)
            yield chunk

    def run() -> None:
        streamed = client.post("/webhooks/events", content=body(), headers=auth)
        assert streamed.status_code == 413, streamed.text
        assert streamed.json()["errors"] == [f"request body: larger than {MAX_BODY} bytes"]
        assert read[0] <= MAX_BODY + 2 * len(chunk)  # it stopped reading
        declared = client.post(
            "/webhooks/events",
            content=b"{}",
            headers={**auth, "Content-Length": str(MAX_BODY + 1)},
        )
        assert declared.status_code == 413, declared.text
        assert client.get("/health").status_code == 200

    within(DURABLE_RULES_TIMEOUT, run)
    assert monitor.counters["events_in"] == 0


def test_salesforce_and_hubspot_shapes_become_lead_records(
    app_client: tuple[_InProcess, Monitor],
) -> None:
    client, monitor = app_client
    auth = {"Authorization": f"Bearer {SECRET}"}
    lead = example_leads()[1]
    salesforce = {"records": [{"attributes": {"type": "Lead"}, **lead}]}
    hubspot = {"results": [{"id": "77", "properties": {**lead, "Id": "H77"}}]}

    def run() -> None:
        assert (
            client.post("/webhooks/salesforce", json=salesforce, headers=auth).json()["accepted"]
            == 1
        )
        assert client.post("/webhooks/hubspot", json=hubspot, headers=auth).json()["accepted"] == 1
        client.post("/admin/clock", json={"now": "2026-10-03T00:00:00Z"}, headers=auth)

    within(DURABLE_RULES_TIMEOUT, run)
    assert monitor.store.lead_ids() == ["H77", lead["Id"]]
    answer = client.get(f"/leads/{lead['Id']}").json()
    assert answer["state"]["slas"]["first-touch-demo"] == "breached"


def _service_with_crm_mappings(tmp_path: Path) -> tuple[_InProcess, Monitor]:
    """The service on the example contract with the salesforce and hubspot presets' event
    mappings (Tasks, LeadHistory, engagements), on a virtual clock."""
    folder = tmp_path / "contract"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("data"))
    (folder / "mappings.yaml").write_text(
        "apiVersion: leadcontract/v1\nmappings:\n  extends: [salesforce, hubspot]\n",
        encoding="utf-8",
    )
    monitor = Monitor(compiled_contract(folder))
    clock = VirtualClock(START)
    return _InProcess(create_app(monitor, secret=SECRET, clock=clock, virtual=clock)), monitor


def test_salesforce_and_hubspot_activity_becomes_events_through_the_contracts_mappings(
    tmp_path: Path,
) -> None:
    """Task, LeadHistory and HubSpot engagements are activity rows: the contract's event
    mappings (here the salesforce and hubspot presets) make them events, live as in batch."""
    client, monitor = _service_with_crm_mappings(tmp_path)
    auth = {"Authorization": f"Bearer {SECRET}"}
    lead = example_leads()[1]  # L000002, a demo request: its first-touch clock starts at once
    created = datetime.fromisoformat(lead["form_submitted_at"].replace("+0000", "+00:00"))
    called = created + timedelta(minutes=30)
    salesforce = {
        "records": [
            {"attributes": {"type": "Lead"}, **lead},
            {"attributes": {"type": "Task"}, "WhoId": lead["Id"], "TaskSubtype": "Call",
             "CreatedDate": called.isoformat(), "OwnerId": "ava", "Subject": "Intro call"},
            {"attributes": {"type": "LeadHistory"}, "LeadId": lead["Id"], "Field": "Status",
             "NewValue": "Working - Contacted", "CreatedById": "ava",
             "CreatedDate": (called + timedelta(minutes=5)).isoformat()},
            {"attributes": {"type": "Task"}, "WhoId": lead["Id"], "TaskSubtype": "Task",
             "CreatedDate": called.isoformat()},
        ]
    }  # fmt: skip
    emailed = called + timedelta(hours=1)
    hubspot = {
        "results": [
            {"engagement": {"type": "EMAIL", "timestamp": int(emailed.timestamp() * 1000),
                            "ownerId": "ava"},
             "associations": {"contactIds": [lead["Id"]]}, "metadata": {}},
        ]
    }  # fmt: skip

    def run() -> tuple[dict[str, Any], dict[str, Any]]:
        from_salesforce = client.post("/webhooks/salesforce", json=salesforce, headers=auth)
        from_hubspot = client.post("/webhooks/hubspot", json=hubspot, headers=auth)
        now = (created + timedelta(days=3)).isoformat()
        client.post("/admin/clock", json={"now": now}, headers=auth)
        return from_salesforce.json(), from_hubspot.json()

    from_salesforce, from_hubspot = within(DURABLE_RULES_TIMEOUT, run)
    assert from_salesforce["accepted"] == 3  # the lead, the call, the status change
    assert from_salesforce["unmapped"] == 1  # a plain task: no mapping makes it an event
    assert from_salesforce["errors"] == []
    assert from_hubspot["accepted"] == 1
    assert monitor.counters["events_unmapped"] == 1
    now = created + timedelta(days=3)
    rows = [
        {k: v for k, v in row.items() if k != "attributes"} for row in salesforce["records"][1:]
    ] + hubspot["results"]  # fmt: skip
    batch = batch_verdicts(monitor.compiled, [lead], rows, now)[lead["Id"]]
    live = monitor.verdict(lead["Id"])
    assert isinstance(live, Verdict)
    assert live.to_dict() == batch.to_dict()
    assert live.touches == 2  # the call and the e-mail
    state = monitor.state(lead["Id"])
    assert state == lead_state(batch)
    assert state is not None
    assert state["slas"]["first-touch-demo"] == "met"  # the Task call, 30 minutes in


def test_a_crm_activity_sent_again_after_an_edit_counts_once(tmp_path: Path) -> None:
    """Salesforce and HubSpot send an activity again when it is edited; its content differs
    (status, subject, modification stamp), so one call counted as two touches live, where an
    export holds it once. The row's own id now makes it one event."""
    client, monitor = _service_with_crm_mappings(tmp_path)
    auth = {"Authorization": f"Bearer {SECRET}"}
    lead = example_leads()[1]  # L000002, a demo request: its first-touch clock starts at once
    created = datetime.fromisoformat(lead["form_submitted_at"].replace("+0000", "+00:00"))
    called = (created + timedelta(minutes=30)).isoformat()
    task = {
        "attributes": {"type": "Task"},
        "Id": "00T000000000001",
        "WhoId": lead["Id"],
        "TaskSubtype": "Call",
        "CreatedDate": called,
        "OwnerId": "ava",
        "Subject": "Call",
    }
    edited = {**task, "Subject": "Call - left a voicemail", "Status": "Completed"}
    emailed = int((created + timedelta(hours=1)).timestamp() * 1000)
    email = {
        "engagement": {"id": 9001, "type": "EMAIL", "timestamp": emailed, "ownerId": "ava"},
        "associations": {"contactIds": [lead["Id"]]},
        "metadata": {},
    }
    email_edited = {**email, "metadata": {"subject": "Following up"}}  # fmt: skip

    def run() -> list[dict[str, Any]]:
        client.post("/webhooks/leads", json=lead, headers=auth)
        answers = [
            client.post("/webhooks/salesforce", json={"records": [task]}, headers=auth),
            client.post("/webhooks/salesforce", json={"records": [edited]}, headers=auth),
            client.post("/webhooks/hubspot", json={"results": [email]}, headers=auth),
            client.post("/webhooks/hubspot", json={"results": [email_edited]}, headers=auth),
        ]
        client.post("/admin/clock", json={"now": (created + timedelta(days=3)).isoformat()},
                    headers=auth)  # fmt: skip
        return [answer.json() for answer in answers]

    answers = within(DURABLE_RULES_TIMEOUT, run)
    assert [(a["accepted"], a["duplicate"]) for a in answers] == [(1, 0), (0, 1), (1, 0), (0, 1)]
    live = monitor.verdict(lead["Id"])
    assert isinstance(live, Verdict)
    assert live.touches == 2  # the call and the e-mail, once each
    rows = [{k: v for k, v in edited.items() if k != "attributes"}, email_edited]
    batch = batch_verdicts(monitor.compiled, [lead], rows, created + timedelta(days=3))
    assert monitor.state(lead["Id"]) == lead_state(batch[lead["Id"]])


def test_the_service_wakes_for_the_next_deadline_not_the_next_tick() -> None:
    """With a tick of a minute, a warning due half a second from now still leaves within a
    second: the ticker sleeps until the store's next due instant."""
    import uvicorn  # noqa: PLC0415

    recorder = Recorder()
    monitor = Monitor(compiled_contract(), notifier=recorder)
    began = time.monotonic()
    start = datetime(2026, 10, 6, 20, tzinfo=UTC)  # Tuesday, 13:00 in Los Angeles

    def clock() -> datetime:  # the wall clock's pace, from a business afternoon
        return start + timedelta(seconds=time.monotonic() - began)

    lead = example_leads()[1]  # dana's demo request: 50 % of 4 business hours is 2 hours
    submitted = (start - timedelta(hours=2) + timedelta(seconds=1.5)).isoformat()
    lead = {**lead, "CreatedDate": submitted, "form_submitted_at": submitted}
    app = create_app(monitor, secret=SECRET, clock=clock, tick=60.0)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        answer = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/leads",
            json=lead,
            headers={"Authorization": f"Bearer {SECRET}"},
            timeout=30,
        )
        assert answer.json()["accepted"] == 1
        due = began + (start + timedelta(seconds=1.5) - start).total_seconds()
        while not recorder.sent and time.monotonic() < due + 30:
            time.sleep(0.02)
        delivered = time.monotonic()
    finally:
        server.should_exit = True
        thread.join(30)
    assert [(p["kind"], p["percent"]) for _, p in recorder.sent] == [("warning", 50)]
    assert delivered - due < 1.0  # not the 60-second tick
