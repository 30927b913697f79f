"""The ``watch`` and ``serve`` commands: the live monitor from the command line.

The live modules are imported inside the handlers (``noqa: PLC0415``): they need the ``live``
extra, and every other command must work without it.

``watch`` reads JSON Lines (events, and lead records wrapped as ``{"lead": {...}}``) from a
file or stdin, optionally following the file as it grows, advancing on the wall clock; each
notification is printed as one JSON line (or sent to ``--webhook``). ``serve`` runs the HTTP
service on uvicorn. Both keep their state in ``--state`` (SQLite) and resume from it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias

from leadcontract.cli._authoring import EXIT_OK, EXIT_PROBLEMS, fail
from leadcontract.safe_text import printable

if TYPE_CHECKING:
    from leadcontract.engine import CompiledContract

__all__ = ["register"]


_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(commands: _Commands) -> None:
    watch = commands.add_parser(
        "watch",
        help="monitor leads live from JSON Lines (stdin or a file), notifying as deadlines pass",
        description='Read events (and {"lead": {...}} records) as JSON Lines; advance on the '
        "wall clock; print or send every warning, breach and escalation.",
    )
    _common(watch)
    watch.add_argument("--events", default="-", help="JSON Lines file, or - for stdin")
    watch.add_argument("--leads", type=Path, help="lead records to load first (CSV, JSONL)")
    watch.add_argument("--follow", action="store_true", help="keep reading as the file grows")
    watch.set_defaults(handler=_watch)
    serve = commands.add_parser(
        "serve",
        help="run the live monitor as an HTTP service (CRM webhooks, /leads/{id}, /metrics)",
        description="Serve the monitor over HTTP on uvicorn. The shared secret is read from the "
        "environment variable named by --secret-env.",
    )
    _common(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=_port, default=8080, help="TCP port, 0 to 65535")
    serve.add_argument(
        "--secret-env", default="LEADCONTRACT_SECRET", help="variable holding the shared secret"
    )
    serve.add_argument(
        "--virtual-clock",
        metavar="START",
        help="start a clock that stands still at START and moves only by POST /admin/clock",
    )
    serve.set_defaults(handler=_serve)


def _port(text: str) -> int:
    """``--port``: 99999 reached the socket and ended as an internal error (exit 3)."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a TCP port from 0 to 65535, got {text!r}")
    return int(text)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("contract", metavar="CONTRACT", help="contract file or folder")
    parser.add_argument("--state", type=Path, required=True, help="SQLite state file")
    parser.add_argument("--webhook", help="POST notifications (JSON, signed) to this URL")
    parser.add_argument("--slack", help="POST notifications to this Slack incoming webhook")
    parser.add_argument(
        "--webhook-secret-env",
        default="LEADCONTRACT_WEBHOOK_SECRET",
        help="variable holding the key that signs outgoing webhooks",
    )
    parser.add_argument(
        "--link", help="link template for notifications, e.g. https://crm/{lead_id}"
    )
    parser.add_argument(
        "--tick",
        type=float,
        default=1.0,
        help="longest wait between advances in seconds (serve also advances as soon as a lead "
        "falls due or a request posts something)",
    )


def _compiled(path: str) -> CompiledContract | str:
    from leadcontract.checks import lint  # noqa: PLC0415 (lazy)
    from leadcontract.engine import compile_contract  # noqa: PLC0415 (lazy)
    from leadcontract.reporters import render_text  # noqa: PLC0415 (lazy)

    result = lint(path)
    if result.errors or result.contract is None:
        return "the contract has errors; fix them first:\n" + render_text(result.diagnostics)
    return compile_contract(result.contract)


def _notifier(args: argparse.Namespace, fallback: IO[str] | None) -> Any:
    from leadcontract.live.notify import FanOut, SlackNotifier, WebhookNotifier  # noqa: PLC0415

    secret = os.environ.get(args.webhook_secret_env)
    notifiers: list[Any] = []
    if args.webhook:
        notifiers.append(WebhookNotifier(args.webhook, secret=secret))
    if args.slack:
        notifiers.append(SlackNotifier(args.slack))
    if not notifiers and fallback is not None:
        notifiers.append(_Printer(fallback))
    return FanOut(notifiers) if notifiers else None


def _url_problem(url: str) -> str | None:
    """Why notifications could never be sent to ``url`` (None: they can be tried).

    Such a URL failed every delivery: 'foo' quietly (each notification counted failed, watch
    exiting 0 with none sent), 'http://[::1' with an internal error (httpx.InvalidURL)."""
    import httpx  # noqa: PLC0415 (the live extra)

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        return f"not a URL ({error})"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "expected an http:// or https:// URL with a host"
    return None


class _Printer:
    """Notifications as JSON lines on a stream (the CLI's own notifier)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def send(self, notification_id: str, payload: Mapping[str, Any]) -> None:
        self.stream.write(json.dumps(dict(payload), sort_keys=True) + "\n")
        self.stream.flush()


def _monitor(args: argparse.Namespace, notifier_stream: IO[str] | None) -> Any:
    try:
        from leadcontract.live import Monitor, SqliteStore  # noqa: PLC0415
    except ImportError as error:
        return (
            f"the live monitor needs the `live` extra (pip install 'leadcontract[live]'): {error}"
        )
    from leadcontract.live.routing import check_link_template  # noqa: PLC0415

    if args.link is not None:
        try:
            check_link_template(args.link)
        except ValueError as error:
            return f"--link: {error}"
    for option, url in (("--webhook", args.webhook), ("--slack", args.slack)):
        problem = _url_problem(url) if url is not None else None
        if problem is not None:
            return f"{option} {url!r}: {problem}"
    compiled = _compiled(args.contract)
    if isinstance(compiled, str):
        return compiled
    try:
        store = SqliteStore(args.state)
    except Exception as error:
        return f"cannot open state {args.state}: {error}"
    return Monitor(
        compiled,
        store=store,
        notifier=_notifier(args, notifier_stream),
        link_template=args.link,
    )


_BOM = b"\xef\xbb\xbf"


def _lines(source: str, follow: bool) -> Iterator[tuple[int, bytes]]:
    """Numbered lines as bytes (each decoded on its own: one bad byte spoils one line), the
    first one without a byte order mark, as the batch reader takes them.

    Following a file, a line is taken only once its newline is there: a writer may append a
    line in several writes, and the part read first was reported as a bad line and the rest
    as another (the event was lost). What is left without a newline when the file ends (not
    followed) is the last line. A followed file that is truncated or replaced (log rotation)
    is read again from its start, its lines numbered anew: watch read on at its old offset,
    past the new end, and never saw another line."""
    stdin = sys.stdin.buffer
    following = follow and source != "-"
    handle = stdin if source == "-" else open(source, "rb")  # noqa: SIM115
    number = 0
    partial = b""
    try:
        while True:
            line = partial + handle.readline()
            partial = b""
            if following and line and not line.endswith(b"\n"):
                partial = line  # the rest of it is still being written
                line = b""
            if not line:
                if following:
                    rotated = _rotated(source, handle)
                    if rotated is not None:
                        handle = rotated
                        number, partial = 0, b""
                        continue
                    time.sleep(0.2)
                    yield 0, b""  # a heartbeat: lets the caller advance the clock
                    continue
                return
            number += 1
            yield number, line.removeprefix(_BOM) if number == 1 else line
    finally:
        if handle is not stdin:
            handle.close()


def _rotated(source: str, handle: IO[bytes]) -> IO[bytes] | None:
    """The followed file read from its start when it was truncated or replaced, else None."""
    try:
        current = os.stat(source)
    except OSError:
        return None  # between a rename and the new file: wait for it
    mine = os.fstat(handle.fileno())
    if (current.st_ino, current.st_dev) != (mine.st_ino, mine.st_dev):
        handle.close()
        return open(source, "rb")  # closed by _lines, as the first handle is
    if current.st_size < handle.tell():
        handle.seek(0)
        return handle
    return None


def _watch(args: argparse.Namespace) -> int:
    if args.events != "-" and not Path(args.events).is_file():
        return fail(f"cannot read {args.events}: no such file")
    monitor = _monitor(args, sys.stdout)
    if isinstance(monitor, str):
        return fail(monitor)
    problems = 0
    name = "<stdin>" if args.events == "-" else args.events
    try:
        if args.leads is not None:
            from leadcontract.inputs import RawRecord, read_rows  # noqa: PLC0415

            rows = list(read_rows(args.leads, kind="lead"))
            good = [row.data for row in rows if isinstance(row, RawRecord)]
            for row in rows:
                if not isinstance(row, RawRecord):
                    problems += 1
                    _complain(str(row))
            for result in monitor.ingest_many(good, source=str(args.leads)):
                if result.error is not None:
                    problems += 1
                    _complain(str(result.error))
        # A file's lines written before watch started are read before the first advance:
        # advancing after its first line told every lead of the backlog as breached and
        # escalated (their touches were further down the file), then withdrew it with a
        # correction. Once at its end (a heartbeat), and on stdin, the clock runs per tick.
        caught_up = args.events == "-"
        last = time.monotonic()
        for number, line in _lines(args.events, args.follow):
            if line.strip():
                problems += _take(monitor, name, number, line)
            caught_up = caught_up or number == 0
            if caught_up and time.monotonic() - last >= args.tick:
                monitor.advance(_wall_clock(monitor))
                last = time.monotonic()
        monitor.advance(_wall_clock(monitor))
        waiting = monitor.store.counts()["outbox_pending"] if monitor.notifier else 0
        if waiting:  # said, not only counted: the run ends, and nobody was told
            _complain(
                f"leadcontract: {waiting} notification(s) could not be delivered; they wait in "
                f"{args.state}'s outbox and go when watch or serve runs on it again"
            )
    except KeyboardInterrupt:
        pass
    finally:
        monitor.close()
    return EXIT_PROBLEMS if problems else EXIT_OK


def _wall_clock(monitor: Any) -> datetime:
    """The wall clock, or the monitor's clock where that is ahead: the state may come from a
    run on a virtual clock, or the system clock stepped back. The monitor never goes back (it
    refuses), so it waits for the wall clock to catch up, as the service's ticker does."""
    now = datetime.now(UTC)
    clock: datetime | None = monitor.clock
    return clock if clock is not None and clock > now else now


def _complain(line: str) -> None:
    """One line on standard error, printable: lead ids and values in a message come from the
    input, and a line break or an escape sequence in one printed a forged line or cleared the
    terminal."""
    sys.stderr.write(printable(line) + "\n")


def _take(monitor: Any, name: str, number: int, raw: bytes) -> int:
    from leadcontract.live.strict_json import RefusedJsonError, loads  # noqa: PLC0415

    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        where = f"byte {error.object[error.start]:#04x} at column {error.start + 1}"
        _complain(f"{name}:{number}: not UTF-8: {where}")
        return 1
    try:
        item = loads(line)
    except RefusedJsonError as error:
        _complain(f"{name}:{number}: refused: {error}")
        return 1
    except json.JSONDecodeError as error:
        _complain(f"{name}:{number}: not JSON: {error.msg} (column {error.colno})")
        return 1
    source = f"{name}:{number}"
    if isinstance(item, dict) and isinstance(item.get("lead"), dict):
        result = monitor.ingest(item["lead"], source=source)
    else:
        result = monitor.post(item, source=source)
    if result.error is not None:
        _complain(str(result.error))
        return 1
    return 0


def _serve(args: argparse.Namespace) -> int:
    secret = os.environ.get(args.secret_env, "")
    if not secret:
        return fail(f"set the shared secret in ${args.secret_env} (it authenticates webhooks)")
    start = None
    if args.virtual_clock:
        try:
            start = datetime.fromisoformat(args.virtual_clock.replace("Z", "+00:00"))
        except ValueError:
            return fail(f"--virtual-clock {args.virtual_clock!r} is not an ISO 8601 time")
        if start.tzinfo is None:
            return fail(f"--virtual-clock {args.virtual_clock!r} needs a zone (Z or +hh:mm)")
        from leadcontract.calendar import DateRangeError, check_supported  # noqa: PLC0415

        try:  # every verdict as of a START beyond them was a 500
            check_supported(start, "--virtual-clock")
        except DateRangeError as error:
            return fail(str(error))
    listening = _listen(args.host, args.port)
    if isinstance(listening, str):
        return fail(listening)
    monitor = _monitor(args, None)
    if isinstance(monitor, str):
        listening.close()
        return fail(monitor)
    import uvicorn  # noqa: PLC0415

    from leadcontract.live.service import VirtualClock, create_app  # noqa: PLC0415

    virtual = VirtualClock(start) if start is not None else None
    app = create_app(
        monitor,
        secret=secret,
        clock=virtual if virtual is not None else (lambda: datetime.now(UTC)),
        tick=args.tick,
        virtual=virtual,
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    try:
        server.run(sockets=[listening])
    except SystemExit as stopped:  # uvicorn exits 3 when it cannot start: 3 is ours (a bug)
        return fail(f"the service did not start (uvicorn exited with {stopped.code})")
    finally:
        listening.close()
        monitor.close()
    return EXIT_OK


def _listen(host: str, port: int) -> socket.socket | str:
    """The listening socket, or why there is none. uvicorn bound it itself and, when the port
    was taken or the address not this machine's, exited with 3, the code that means an
    internal error of leadcontract; the reason is a usage error (exit 2) here, said in one
    line, before the contract is compiled."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as error:
        reason = str(error.strerror or error).split(" (while attempting", 1)[0]
        return f"cannot listen on {host}:{port}: {reason}"
