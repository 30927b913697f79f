"""Notifiers: how a notification leaves the monitor (webhook, Slack, e-mail).

Every notifier takes ``send(notification_id, payload)`` and either delivers or raises
:class:`NotifyError`; the monitor's outbox keeps what failed and tries again later. The id goes
with every delivery (the ``X-Leadcontract-Delivery`` header, the e-mail's ``Message-ID``), so a
receiver can drop a repeat: delivery is at least once, and a repeat carries the same id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

from leadcontract.safe_text import printable

__all__ = [
    "SIGNATURE_HEADER",
    "FanOut",
    "Notifier",
    "NotifyError",
    "SlackNotifier",
    "SmtpNotifier",
    "WebhookNotifier",
    "sign",
]

SIGNATURE_HEADER = "X-Leadcontract-Signature"
"""``sha256=<hex HMAC-SHA256 of the body with the shared secret>``, as GitHub's webhooks do."""


class NotifyError(Exception):
    """A notification could not be delivered (it stays in the outbox)."""


class Notifier(Protocol):
    """Delivers one notification or raises :class:`NotifyError`."""

    def send(self, notification_id: str, payload: Mapping[str, Any]) -> None: ...


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookNotifier:
    """POSTs the notification as JSON, signed with HMAC-SHA256, retrying with backoff.

    A 2xx answer is delivery; 4xx other than 408/429 is final (a retry would not help); other
    answers and network errors are retried ``retries`` times, waiting ``backoff * 2**n``.
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        timeout: float = 5.0,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self.secret = secret
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self._client = client or httpx.Client(timeout=timeout)

    def body(self, payload: Mapping[str, Any]) -> Any:
        """What is posted (subclasses shape it for their receiver)."""
        return dict(payload)

    def send(self, notification_id: str, payload: Mapping[str, Any]) -> None:
        body = json.dumps(self.body(payload), separators=(",", ":"), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "X-Leadcontract-Delivery": notification_id}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        problem = "not tried"
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                answer = self._client.post(self.url, content=body, headers=headers)
            except httpx.HTTPError as error:
                problem = f"{self.url}: {type(error).__name__}: {error}"
                continue
            if answer.is_success:
                return
            problem = f"{self.url} answered {answer.status_code}"
            if 400 <= answer.status_code < 500 and answer.status_code not in (408, 429):
                break
        raise NotifyError(problem)

    def close(self) -> None:
        self._client.close()


class SlackNotifier(WebhookNotifier):
    """A Slack (or Mattermost, Teams-compatible) incoming webhook: ``{"text": ..., "blocks"}``."""

    def body(self, payload: Mapping[str, Any]) -> Any:
        text = summary(payload, slack=True)
        return {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }


def summary(payload: Mapping[str, Any], *, slack: bool = False) -> str:
    """One line a person reads: what happened to which lead, whose it is, when it is due.

    The values come from the CRM (a lead id is whatever was posted), so they are shown
    printable: a line break in one split an e-mail's Subject header, which Python refuses
    with ValueError, and the delivery (and every one queued behind it) failed for good. With
    ``slack`` they are also escaped as Slack's mrkdwn asks (``&``, ``<``, ``>``): a lead id
    ``<!channel>`` notified the whole channel, ``<https://...|text>`` was a link in disguise.
    """

    def shown(value: Any) -> str:
        text = printable(str(value))
        return _slack_escaped(text) if slack else text

    kind = shown(str(payload.get("kind", "")).replace("_", " "))
    sla = f" `{shown(payload['sla'])}`" if payload.get("sla") else ""
    percent = f" {shown(payload['percent'])}%" if payload.get("percent") else ""
    due = f", due {shown(payload['due_local'])}" if payload.get("due_local") else ""
    rep = shown(payload.get("rep_name") or payload.get("rep") or "nobody")
    party = f", accountable: {shown(payload['party'])}" if payload.get("party") else ""
    link = ""
    if payload.get("link"):
        url = printable(str(payload["link"]))
        link = f" <{_slack_url(url) if slack else url}>"
    return f"{kind}{percent}{sla}: lead {shown(payload.get('lead'))} ({rep}){due}{party}{link}"


def _slack_escaped(text: str) -> str:
    """Text for Slack's mrkdwn: its three control characters as the entities it decodes."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_url(url: str) -> str:
    """A URL inside ``<...>``: ``|`` would start a label, ``<``/``>`` end the link."""
    return url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")


class SmtpNotifier:
    """E-mail through an SMTP server, one message per notification.

    ``addresses`` maps a recipient id (a rep id, or a team) to an address; recipients that
    carry their own ``email`` (contract owners) use it; ``fallback`` catches the rest.
    """

    def __init__(
        self,
        host: str,
        *,
        sender: str,
        port: int = 25,
        addresses: Mapping[str, str] | None = None,
        fallback: str | None = None,
        starttls: bool = False,
        login: tuple[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.addresses = dict(addresses or {})
        self.fallback = fallback
        self.starttls = starttls
        self.login = login
        self.timeout = timeout

    def recipients(self, payload: Mapping[str, Any]) -> list[str]:
        found: list[str] = []
        for person in payload.get("recipients", ()):
            address = person.get("email") or self.addresses.get(str(person.get("id")))
            address = address or self.fallback
            if address and address not in found:
                found.append(address)
        return found

    def send(self, notification_id: str, payload: Mapping[str, Any]) -> None:
        to = self.recipients(payload)
        if not to:
            raise NotifyError(f"no e-mail address for {payload.get('recipients')}")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(to)
        message["Subject"] = f"[leadcontract] {summary(payload)}"[:200]
        message["Message-ID"] = f"<{notification_id}@leadcontract>"
        message.set_content(
            summary(payload) + "\n\n" + json.dumps(dict(payload), indent=2, sort_keys=True)
        )
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as server:
                if self.starttls:
                    server.starttls()
                if self.login:
                    server.login(*self.login)
                server.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise NotifyError(f"smtp {self.host}:{self.port}: {error}") from error


class FanOut:
    """Several notifiers; delivery fails if any fails (each repeat carries the same id)."""

    def __init__(self, notifiers: Sequence[Notifier]) -> None:
        self.notifiers = tuple(notifiers)

    def send(self, notification_id: str, payload: Mapping[str, Any]) -> None:
        for notifier in self.notifiers:
            notifier.send(notification_id, payload)
