"""The live side: a monitor that warns while there is still time, with the batch meaning.

``Monitor(compiled, store=SqliteStore("state.db"), notifier=WebhookNotifier(url))`` takes lead
records (``ingest``) and events (``post``) one at a time, and ``advance(now)`` fires every
warning, breach, escalation, handoff-due and feedback-due whose instant has passed. Needs the
``live`` extra (durable_rules, starlette, uvicorn, prometheus-client, httpx).
"""

from __future__ import annotations

from leadcontract.live.monitor import Advance, Monitor, Posted, lead_state
from leadcontract.live.notify import (
    FanOut,
    Notifier,
    NotifyError,
    SlackNotifier,
    SmtpNotifier,
    WebhookNotifier,
)
from leadcontract.live.state import Outgoing, SqliteStore, StateStore

__all__ = [
    "Advance",
    "FanOut",
    "Monitor",
    "Notifier",
    "NotifyError",
    "Outgoing",
    "Posted",
    "SlackNotifier",
    "SmtpNotifier",
    "SqliteStore",
    "StateStore",
    "WebhookNotifier",
    "lead_state",
]
