"""Notifiers (signed webhook with retries, Slack payload, SMTP) and the durable_rules patterns."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from live_support import (
    DURABLE_RULES_TIMEOUT,
    compiled_contract,
    hang_guard,  # noqa: F401  (autouse: a hang fails the run)
    within,
)

from leadcontract.inputs import Event
from leadcontract.live.notify import (
    SIGNATURE_HEADER,
    NotifyError,
    SlackNotifier,
    SmtpNotifier,
    WebhookNotifier,
    sign,
)
from leadcontract.live.ruleset import Pattern, TriggerRules, patterns_of

PAYLOAD = {
    "kind": "breach",
    "lead": "L7",
    "rep": "ava",
    "rep_name": "Ava Lindqvist",
    "sla": "first-touch",
    "due_local": "2026-10-02T09:00:00-04:00",
    "party": "sales",
    "recipients": [{"id": "mia", "name": "Mia Santos", "as": "manager"}],
    "link": "https://crm.example/L7",
}


def _client(answers: list[int], seen: list[httpx.Request]) -> httpx.Client:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(answers.pop(0) if answers else 200)

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_the_webhook_signs_its_body_and_retries_with_growing_backoff() -> None:
    seen: list[httpx.Request] = []
    waits: list[float] = []
    notifier = WebhookNotifier(
        "https://hooks.example/in",
        secret="k",
        retries=3,
        backoff=0.5,
        client=_client([503, 500, 200], seen),
        sleep=waits.append,
    )
    notifier.send("n1", PAYLOAD)
    assert len(seen) == 3
    assert waits == [0.5, 1.0]
    body = seen[-1].content
    assert json.loads(body) == PAYLOAD
    assert seen[-1].headers[SIGNATURE_HEADER] == sign("k", body)
    assert seen[-1].headers["X-Leadcontract-Delivery"] == "n1"


def test_a_webhook_that_keeps_failing_raises_and_a_4xx_is_not_retried() -> None:
    seen: list[httpx.Request] = []
    notifier = WebhookNotifier(
        "https://hooks.example/in",
        retries=2,
        client=_client([500, 500, 500], seen),
        sleep=lambda _: None,
    )
    with pytest.raises(NotifyError, match="answered 500"):
        notifier.send("n1", PAYLOAD)
    assert len(seen) == 3
    seen.clear()
    refused = WebhookNotifier(
        "https://hooks.example/in", client=_client([404], seen), sleep=lambda _: None
    )
    with pytest.raises(NotifyError, match="answered 404"):
        refused.send("n2", PAYLOAD)
    assert len(seen) == 1


def test_slack_gets_text_a_person_reads() -> None:
    seen: list[httpx.Request] = []
    SlackNotifier("https://hooks.slack.example/x", client=_client([], seen)).send("n", PAYLOAD)
    body = json.loads(seen[0].content)
    assert body["text"] == (
        "breach `first-touch`: lead L7 (Ava Lindqvist), due 2026-10-02T09:00:00-04:00, "
        "accountable: sales <https://crm.example/L7>"
    )
    assert body["blocks"][0]["text"]["text"] == body["text"]


def test_slack_text_cannot_be_driven_by_a_lead_id() -> None:
    """A lead id is whatever the CRM posted; Slack's mrkdwn read '<!channel>' in it as a
    mention of the whole channel and '<https://...|text>' as a disguised link."""
    seen: list[httpx.Request] = []
    hostile = {
        **PAYLOAD,
        "lead": "<!channel> <https://evil.example|reset> & co",
        "link": "https://crm.example/<!here>|x",
    }
    SlackNotifier("https://hooks.slack.example/x", client=_client([], seen)).send("n", hostile)
    text = json.loads(seen[0].content)["text"]
    assert text == (
        "breach `first-touch`: lead &lt;!channel&gt; &lt;https://evil.example|reset&gt; &amp; "
        "co (Ava Lindqvist), due 2026-10-02T09:00:00-04:00, accountable: sales "
        "<https://crm.example/%3C!here%3E%7Cx>"
    )


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message."""

    messages: list[str]

    def handle(self) -> None:
        self.wfile.write(b"220 test\r\n")
        data: list[str] = []
        reading = False
        for raw in self.rfile:
            line = raw.decode().rstrip("\r\n")
            if reading:
                if line == ".":
                    reading = False
                    self.messages.append("\n".join(data))
                    self.wfile.write(b"250 ok\r\n")
                else:
                    data.append(line)
                continue
            verb = line.split(" ", 1)[0].upper()
            if verb == "DATA":
                reading = True
                self.wfile.write(b"354 go\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[str]]]:
    messages: list[str] = []
    handler = type("Handler", (_Smtp,), {"messages": messages})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], messages
    server.shutdown()
    server.server_close()


def test_smtp_sends_one_message_to_the_mapped_address(smtp_server: tuple[int, list[str]]) -> None:
    port, messages = smtp_server
    notifier = SmtpNotifier(
        "127.0.0.1", port=port, sender="monitor@example.com", addresses={"mia": "mia@example.com"}
    )
    notifier.send("n9", PAYLOAD)
    (message,) = messages
    assert "To: mia@example.com" in message
    assert "Message-ID: <n9@leadcontract>" in message
    assert "Subject: [leadcontract] breach `first-touch`: lead L7" in message
    with pytest.raises(NotifyError, match="no e-mail address"):
        SmtpNotifier("127.0.0.1", port=port, sender="m@example.com").send("n10", PAYLOAD)


def test_smtp_subject_stays_one_line_whatever_the_lead_id(
    smtp_server: tuple[int, list[str]],
) -> None:
    """A lead id with a line break made the Subject header refuse it (ValueError, not a
    NotifyError): the delivery failed for good, and took down the advance with it."""
    port, messages = smtp_server
    notifier = SmtpNotifier(
        "127.0.0.1", port=port, sender="monitor@example.com", addresses={"mia": "mia@example.com"}
    )
    notifier.send("n11", {**PAYLOAD, "lead": "L7\r\nBcc: someone@evil.example"})
    (message,) = messages
    unfolded = message.replace("\n ", " ")  # a long header continues on indented lines
    assert "Subject: [leadcontract] breach `first-touch`: lead L7\\r\\nBcc: someone" in unfolded
    assert "\nBcc:" not in message


def _event(kind: str, channel: str | None = None, reason: str | None = None) -> Event:
    return Event("L1", kind, datetime(2026, 10, 1, tzinfo=UTC), 1, channel=channel, reason=reason)


def test_the_contract_triggers_become_durable_rules_patterns() -> None:
    contract = compiled_contract().contract
    names = {pattern.name for pattern in patterns_of(contract)}
    assert {"sla.first-touch-demo.stop", "sla.first-touch.pause", "stage.sal"} <= names
    rules = within(DURABLE_RULES_TIMEOUT, lambda: TriggerRules(patterns_of(contract)))
    found = within(
        DURABLE_RULES_TIMEOUT,
        lambda: rules.match(
            [
                _event("out_of_office"),
                _event("disqualified", reason="no-budget"),
                _event("newsletter_opened"),
                _event("back_in_office"),
            ]
        ),
    )
    assert found == [
        "sla.first-touch.pause",
        "sla.six-attempts.cancel",  # the first pattern an event matches names it
        None,
        "sla.first-touch.resume",
    ]


def test_channels_and_reasons_narrow_a_pattern_and_fields_named_id_cannot_hang_it() -> None:
    rules = within(
        DURABLE_RULES_TIMEOUT,
        lambda: TriggerRules(
            [
                Pattern("call", ("touch",), channels=("phone",)),
                Pattern("dq", ("disqualified",), reasons=("spam",)),
            ]
        ),
    )
    events: list[Any] = [
        _event("touch", channel="phone"),
        _event("touch", channel="email"),
        _event("disqualified", reason="spam"),
        _event("disqualified", reason="bad-data"),
        # An event whose CRM payload has `id` and `sid` (durable_rules' reserved names):
        # the ruleset only ever sees its own prefixed names.
        Event("L1", "touch", datetime(2026, 10, 1, tzinfo=UTC), 2, channel="phone",
              data={"id": "00Q5e000001", "sid": "x"}),
    ]  # fmt: skip
    found = within(10, lambda: rules.match(events))
    assert found == ["call", None, "dq", None, "call"]


def test_a_closed_ruleset_frees_its_engine_and_a_second_close_is_harmless() -> None:
    rules = within(DURABLE_RULES_TIMEOUT, lambda: TriggerRules([Pattern("t", ("touch",))]))
    assert within(10, lambda: rules.match([_event("touch")])) == ["t"]
    rules.close()
    rules.close()
