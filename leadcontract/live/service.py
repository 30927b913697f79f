"""The monitor as an HTTP service (ASGI, Starlette): CRM webhooks in, live verdicts out.

Routes:

* ``POST /webhooks/events``: activity events (one JSON object, a JSON array, or JSON Lines);
* ``POST /webhooks/leads``: lead records in the contract's field names or CRM column names;
* ``POST /webhooks/salesforce``: Salesforce sObjects (``{"records": [...]}`` or a list; the
  ``attributes`` key is dropped). A ``Lead`` (or an object that names no type) is a lead
  record, its columns mapped through each field's ``source``; any other sObject (``Task``,
  ``Event``, ``LeadHistory``, ``CampaignMember``) is an activity row that the contract's
  event mappings turn into an event, as in batch (a row no mapping matches is ``unmapped``);
* ``POST /webhooks/hubspot``: HubSpot CRM objects (``{"results": [...]}`` or a list). A
  contact (``{"id", "properties"}``) is a lead record, its properties the record; an
  engagement (``{"engagement", "associations", "metadata"}``) is an activity row for the
  contract's event mappings;
* ``GET /leads/{id}``: the lead's verdict as of the monitor's clock (``?as_of=`` for another);
* ``GET /health``, ``GET /metrics`` (Prometheus text format);
* ``POST /admin/clock`` (only with a virtual clock): set ``now`` and advance to it.

Every POST is authenticated by the shared secret: ``X-Leadcontract-Signature: sha256=<HMAC of
the body>`` or ``Authorization: Bearer <secret>``. Bad input gets a 4xx whose ``errors`` are the
CLI's diagnostic lines, and is counted; an unexpected failure gets a 500 and is counted; no
request stops the service. Time enters here, at the edge: ``clock()`` is read by the ticker,
which advances the monitor when the next lead falls due (the store's ``next_due``), when a
request has posted something, and at least every ``tick`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadcontract.calendar import DateRangeError, check_supported
from leadcontract.inputs import RecordError
from leadcontract.live.monitor import Monitor, Posted
from leadcontract.live.notify import sign
from leadcontract.live.strict_json import RefusedJsonError, loads
from leadcontract.verdict import format_instant

__all__ = ["VirtualClock", "create_app"]

MAX_BODY = 8 * 1024 * 1024
"""Largest request body accepted (bytes)."""

WOKEN_PER_ROUND = 500
"""Leads woken by events that one round of the ticker judges at most (after every deadline)."""


class VirtualClock:
    """A clock that stands still until told otherwise (tests, replays, demos)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class _BadRequestError(Exception):
    def __init__(self, status: int, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.status = status
        self.errors = errors


class _Service:
    """The monitor behind a lock (one caller at a time), plus request counters."""

    def __init__(
        self,
        monitor: Monitor,
        secret: str,
        clock: Callable[[], datetime],
        tick: float,
    ) -> None:
        self.monitor = monitor
        self.secret = secret
        self.clock = clock
        self.tick = tick
        self.lock = threading.Lock()
        """Held to use the monitor; not while notifications are sent (``guard`` of advance)."""
        self.advancing = threading.Lock()
        """One advance (and delivery) at a time: the ticker's or the admin clock's."""
        self.requests: dict[str, int] = {"ok": 0, "rejected": 0, "unauthorized": 0, "failed": 0}
        self.posted = asyncio.Event()
        """Set when a request posted records or events: the ticker advances at once."""
        self.failure: str | None = None
        """Why the ticker's latest round failed (None: it did not). /health says it."""

    def advance(self, now: datetime | None = None, most: int | None = None) -> int:
        """Advance to ``now`` (default: the clock); ``most`` as :meth:`Monitor.advance`.
        Requests are answered while notifications are sent (the lock is the monitor's guard)."""
        with self.advancing:
            with self.lock:
                when = now or self.clock()
                clock = self.monitor.clock
                if clock is not None and when < clock:
                    when = clock
            done = self.monitor.advance(when, most=most, guard=self.lock)
            return len(done.notifications)

    def move_clock(self, now: datetime) -> int:
        """Advance a virtual clock to ``now``; refused (409) when that is behind the monitor's
        clock, which never goes back (the answer used to say ``now`` moved when it had not)."""
        with self.advancing:
            with self.lock:
                clock = self.monitor.clock
            if clock is not None and now < clock:
                raise _BadRequestError(
                    409,
                    [
                        f"POST /admin/clock: the monitor's clock stands at {clock.isoformat()}; "
                        f"it does not go back to {now.isoformat()}"
                    ],
                )
            return len(self.monitor.advance(now, guard=self.lock).notifications)

    def round(self) -> bool:
        """One round of the ticker: advance to the clock, deadlines first and at most
        :data:`WOKEN_PER_ROUND` leads woken by events. A failure (the disk full, the store
        locked by another process) is counted and kept for /health and /metrics, where it
        was counted only in a figure neither showed: the service answered 'ok' while no lead
        was judged and nobody was told anything."""
        try:
            self.advance(None, WOKEN_PER_ROUND)
        except Exception as error:  # the next round tries again
            self.monitor.counters["advance_failed"] += 1
            self.failure = f"{type(error).__name__}: {error}"
            return False
        self.failure = None
        return True

    def wait(self) -> float:
        """Seconds until the next lead falls due, at most one tick: the ticker sleeps that
        long (or until a request posts something), so a deadline is not kept waiting for the
        tick."""
        with self.lock:
            upcoming = self.monitor.store.next_due()
        if upcoming is None:
            return self.tick
        return min(self.tick, max(0.0, (upcoming - self.clock()).total_seconds()))

    # --- requests ---------------------------------------------------------------------------

    async def authenticated_body(self, request: Request) -> bytes:
        body = await _bounded_body(request)
        signature = request.headers.get("x-leadcontract-signature", "")
        bearer = request.headers.get("authorization", "")
        if signature and hmac.compare_digest(signature, sign(self.secret, body)):
            return body
        if bearer.startswith("Bearer ") and hmac.compare_digest(
            bearer.removeprefix("Bearer ").encode(), self.secret.encode()
        ):
            return body
        self.requests["unauthorized"] += 1
        raise _BadRequestError(
            401, ["request: missing or wrong shared secret (signature or bearer)"]
        )

    def post(self, leads: list[Any], events: list[Any], source: str) -> tuple[int, dict[str, Any]]:
        """Records first (an event may be about a lead in the same payload), then events;
        errors number each kind on its own (``lead 2``, ``event 1``)."""
        with self.lock:
            results = self.monitor.ingest_many(leads, source=source) if leads else []
            if events:
                results += self.monitor.post_many(events, source=source)
        return _answer(results)


async def _bounded_body(request: Request) -> bytes:
    """The request's body, refused (413) as soon as it is known to exceed :data:`MAX_BODY`:
    by its ``Content-Length`` before reading anything, else while it streams in. Reading it
    whole first (``request.body()``) held any body in memory before looking at its size, so
    one request of 300 MB, signed or not, took 660 MB of the service's memory."""
    too_large = _BadRequestError(413, [f"request body: larger than {MAX_BODY} bytes"])
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(results: Iterable[Posted]) -> tuple[int, dict[str, Any]]:
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0, "unmapped": 0}
    errors: list[str] = []
    for result in results:
        counts[result.outcome] += 1
        if result.error is not None:
            errors.append(str(result.error))
    return (422 if errors else 200), {**counts, "errors": errors}


def _items(body: bytes, source: str) -> list[Any]:
    """A JSON object, a JSON array, or JSON Lines."""
    text = body.decode("utf-8", errors="strict") if body else ""
    if not text.strip():
        raise _BadRequestError(400, [f"{source}: empty request body; expected JSON"])
    try:
        value = loads(text)
    except RefusedJsonError as refused:
        raise _BadRequestError(400, [f"{source}: refused: {refused}"]) from refused
    except json.JSONDecodeError as first:
        # JSON Lines end at "\n" alone, as batch and watch read them: str.splitlines() also
        # broke lines at U+2028, U+0085 and the like, which a JSON string may hold unescaped.
        numbered = list(enumerate(text.split("\n"), start=1))
        if sum(not _blank(line) for _, line in numbered) < 2:
            raise _BadRequestError(
                400, [f"{source}:{first.lineno}: not JSON: {first.msg} (column {first.colno})"]
            ) from first
        items = []
        for number, line in numbered:
            if _blank(line):
                continue
            try:
                items.append(loads(line))
            except RefusedJsonError as error:
                raise _BadRequestError(400, [f"{source}:{number}: refused: {error}"]) from error
            except json.JSONDecodeError as error:
                raise _BadRequestError(
                    400, [f"{source}:{number}: not JSON: {error.msg} (column {error.colno})"]
                ) from error
        return items
    return value if isinstance(value, list) else [value]


def _blank(line: str) -> bool:
    """A line of ASCII white space only (as batch's JSON Lines reader skips)."""
    return not line.strip(" \t\r\x0b\x0c")


_Split = tuple[list[Any], list[Any]]
"""A CRM payload's lead records and activity rows."""


def _salesforce(items: list[Any]) -> _Split:
    """Lead sObjects are records; Task, Event, LeadHistory, CampaignMember... are rows for
    the contract's event mappings."""
    leads: list[Any] = []
    rows: list[Any] = []
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("records"), list):
            more_leads, more_rows = _salesforce(item["records"])
            leads += more_leads
            rows += more_rows
        elif isinstance(item, Mapping):
            attributes = item.get("attributes")
            kind = attributes.get("type") if isinstance(attributes, Mapping) else None
            body = {k: v for k, v in item.items() if k != "attributes"}
            (leads if kind in (None, "Lead") else rows).append(body)
        else:
            leads.append(item)  # rejected as a lead record, with the CLI's text
    return leads, rows


def _hubspot(items: list[Any]) -> _Split:
    """Contacts (``properties``) are records; engagements are rows for the event mappings."""
    leads: list[Any] = []
    rows: list[Any] = []
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("results"), list):
            more_leads, more_rows = _hubspot(item["results"])
            leads += more_leads
            rows += more_rows
        elif isinstance(item, Mapping) and isinstance(item.get("engagement"), Mapping):
            rows.append(dict(item))
        elif isinstance(item, Mapping) and isinstance(item.get("properties"), Mapping):
            leads.append(dict(item["properties"]))
        else:
            leads.append(item)
    return leads, rows


class _Endpoints:
    """The routes' handlers over one :class:`_Service`."""

    def __init__(self, service: _Service, virtual: VirtualClock | None) -> None:
        self.service = service
        self.monitor = service.monitor
        self.virtual = virtual
        self.registry = CollectorRegistry()
        self.registry.register(_Metrics(service))

    async def guarded(self, handle: Callable[[], Awaitable[Response]]) -> Response:
        """Answer every request: 4xx for bad input, 500 for a bug; count each."""
        requests = self.service.requests
        try:
            response = await handle()
        except _BadRequestError as problem:
            if problem.status != 401:
                requests["rejected"] += 1
            return JSONResponse({"errors": problem.errors}, status_code=problem.status)
        except UnicodeDecodeError:
            requests["rejected"] += 1
            return JSONResponse({"errors": ["request body: not UTF-8"]}, status_code=400)
        except Exception as error:  # the service outlives any one request
            requests["failed"] += 1
            return JSONResponse(
                {"errors": [f"internal error: {type(error).__name__}: {error}"]},
                status_code=500,
            )
        requests["ok" if response.status_code < 400 else "rejected"] += 1
        return response

    def webhook(
        self, shape: Callable[[list[Any]], _Split]
    ) -> Callable[[Request], Awaitable[Response]]:
        """A route taking a payload that ``shape`` splits into lead records and events."""
        service = self.service

        async def endpoint(request: Request) -> Response:
            async def handle() -> Response:
                body = await service.authenticated_body(request)
                source = f"POST {request.url.path}"
                leads, events = shape(_items(body, source))
                status, answer = await run_in_threadpool(service.post, leads, events, source)
                service.posted.set()
                return JSONResponse(answer, status_code=status)

            return await self.guarded(handle)

        return endpoint

    async def lead(self, request: Request) -> Response:
        async def handle() -> Response:
            lead_id = request.path_params["lead_id"]
            text = request.query_params.get("as_of")
            as_of = _instant(text, "as_of") if text is not None else None

            def read() -> tuple[Any, Any, datetime, bool]:
                with self.service.lock:
                    # Before the monitor's first advance it has no clock: the service's clock
                    # (a virtual clock's START) says when "now" is. The lead was answered as
                    # "no record of it" (404) the moment after it was accepted.
                    when = as_of or self.monitor.clock or self.service.clock()
                    known = self.monitor.store.lead(lead_id) is not None
                    found = self.monitor.verdict(lead_id, when)
                    return found, self.monitor.state(lead_id), when, known

            found, state, when, known = await run_in_threadpool(read)
            if found is None and known:  # batch gives no verdict either (``not_yet``)
                raise _BadRequestError(
                    404, [f"lead `{lead_id}`: not yet created as of {format_instant(when)}"]
                )
            if found is None:
                raise _BadRequestError(404, [f"lead `{lead_id}`: no record of it"])
            if isinstance(found, RecordError):
                return JSONResponse({"errors": [str(found)]}, status_code=409)
            return JSONResponse({"verdict": found.to_dict(), "state": state})

        return await self.guarded(handle)

    async def health(self, _: Request) -> Response:
        def read() -> tuple[datetime | None, dict[str, int]]:
            # One SQLite connection: one caller at a time. The counters are copied under the
            # lock too: a round adds keys to them in another thread, and copying a dict that
            # grows meanwhile raises RuntimeError (a 500 from /health).
            with self.service.lock:
                return self.monitor.clock, dict(self.monitor.counters)

        clock_at, counters = await run_in_threadpool(read)
        failure = self.service.failure
        answer: dict[str, Any] = {
            "status": "ok" if failure is None else "failing",
            "clock": clock_at.isoformat() if clock_at else None,
            "counters": counters,
            "requests": self.service.requests,
        }
        if failure is not None:  # no lead is judged and nothing told until it is gone
            answer["error"] = f"the latest round of judging failed: {failure}"
        return JSONResponse(answer, status_code=200 if failure is None else 503)

    async def metrics(self, _: Request) -> Response:
        return Response(generate_latest(self.registry), media_type="text/plain; version=0.0.4")

    async def admin_clock(self, request: Request) -> Response:
        async def handle() -> Response:
            body = await self.service.authenticated_body(request)
            if self.virtual is None:
                raise _BadRequestError(404, ["the clock is the wall clock here; no admin clock"])
            items = _items(body, "POST /admin/clock")
            first = items[0] if len(items) == 1 else None
            text = first.get("now") if isinstance(first, Mapping) else None
            if not isinstance(text, str):
                raise _BadRequestError(
                    400, ['POST /admin/clock: expected {"now": "2026-11-16T17:00:00Z"}']
                )
            now = _instant(text, "now")
            fired = await run_in_threadpool(self.service.move_clock, now)
            self.virtual.now = now
            return JSONResponse({"now": now.isoformat(), "notifications": fired})

        return await self.guarded(handle)


def _instant(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise _BadRequestError(
            400, [f"{name} {text!r} is not an ISO 8601 time such as 2026-11-16T17:00:00Z"]
        ) from error
    if value.tzinfo is None:
        raise _BadRequestError(400, [f"{name} {text!r} needs a zone (Z or +hh:mm)"])
    try:  # business time ends there: the verdict would be a 500, a clock moved there stuck
        check_supported(value, name)
    except DateRangeError as error:
        raise _BadRequestError(400, [str(error)]) from error
    return value


def create_app(
    monitor: Monitor,
    *,
    secret: str,
    clock: Callable[[], datetime],
    tick: float = 1.0,
    virtual: VirtualClock | None = None,
) -> Starlette:
    """The ASGI app. ``clock`` gives ``now`` (the wall clock in production); with
    ``virtual`` the clock stands still and only ``POST /admin/clock`` moves it (leads that
    requests wake are still judged at once, at the clock's instant)."""
    if not secret:
        raise ValueError("a shared secret is required")
    service = _Service(monitor, secret, clock, tick)
    endpoints = _Endpoints(service, virtual)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async def ticker() -> None:
            while True:
                try:
                    wait = await run_in_threadpool(service.wait)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(service.posted.wait(), timeout=max(wait, 0.005))
                    service.posted.clear()
                    # Deadlines first; leads woken by a flood of events a batch at a time (the
                    # rest stay due, so the next round comes at once), requests in between.
                    if not await run_in_threadpool(service.round):
                        await asyncio.sleep(tick)
                except Exception:  # the clock or the store's next_due; the next tick tries again
                    monitor.counters["advance_failed"] += 1
                    await asyncio.sleep(tick)

        # On a virtual clock too: the clock stands still, but a lead a request woke (a late
        # touch) is judged at once, as on the wall clock. Without it, its state and the
        # correction waited for the next POST /admin/clock, and GET /leads/{id} answered a
        # state ('breached') that contradicted the verdict beside it ('met').
        task = asyncio.create_task(ticker())
        try:
            yield
        finally:
            task.cancel()

    routes = [
        Route("/webhooks/events", endpoints.webhook(lambda items: ([], items)), methods=["POST"]),
        Route("/webhooks/leads", endpoints.webhook(lambda items: (items, [])), methods=["POST"]),
        Route("/webhooks/salesforce", endpoints.webhook(_salesforce), methods=["POST"]),
        Route("/webhooks/hubspot", endpoints.webhook(_hubspot), methods=["POST"]),
        Route("/leads/{lead_id}", endpoints.lead, methods=["GET"]),
        Route("/health", endpoints.health, methods=["GET"]),
        Route("/metrics", endpoints.metrics, methods=["GET"]),
        Route("/admin/clock", endpoints.admin_clock, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.service = service  # for embedding and tests: the rounds, the failure
    return app


class _Metrics:
    """Prometheus figures, read from the monitor when scraped."""

    def __init__(self, service: _Service) -> None:
        self.service = service

    def collect(self) -> Iterable[Any]:
        counters = self.service.monitor.counters
        events = CounterMetricFamily(
            "leadcontract_events", "Events received, by outcome", labels=["outcome"]
        )
        for outcome in ("in", "duplicate", "rejected", "unmapped", "relevant"):
            events.add_metric([outcome], counters.get(f"events_{outcome}", 0))
        yield events
        leads = CounterMetricFamily(
            "leadcontract_leads", "Lead records received, by outcome", labels=["outcome"]
        )
        for outcome in ("in", "rejected"):
            leads.add_metric([outcome], counters.get(f"leads_{outcome}", 0))
        yield leads
        notes = CounterMetricFamily(
            "leadcontract_notifications", "Notifications, by outcome", labels=["outcome"]
        )
        for outcome in ("queued", "sent", "failed"):
            notes.add_metric([outcome], counters.get(f"notifications_{outcome}", 0))
        yield notes
        requests = CounterMetricFamily(
            "leadcontract_requests", "HTTP requests, by outcome", labels=["outcome"]
        )
        for outcome, count in self.service.requests.items():
            requests.add_metric([outcome], count)
        yield requests
        yield CounterMetricFamily(
            "leadcontract_evaluations", "Leads judged again", value=counters.get("evaluations", 0)
        )
        yield CounterMetricFamily(
            "leadcontract_rounds_failed",
            "Rounds of judging that failed (no lead judged, nothing told)",
            value=counters.get("advance_failed", 0),
        )
        yield GaugeMetricFamily(
            "leadcontract_notification_lag_seconds",
            "Due instant to delivery, of the latest notification sent",
            value=self.service.monitor.last_lag_seconds,
        )
