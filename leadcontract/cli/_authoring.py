"""What the commands share: exit codes, one-line failures, and reading an instant given on
the command line."""

from __future__ import annotations

import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from leadcontract.safe_text import printable

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def fail(message: str, code: int = EXIT_USAGE) -> int:
    """Report a problem as ``leadcontract: message`` on standard error; ``code``, the exit
    code for it. Each line is made printable, so that a file name cannot drive the terminal."""
    message = "\n".join(map(printable, message.split("\n")))
    sys.stderr.write(f"leadcontract: {message}\n")
    return code


def instant(text: str, *, option: str, zone: str) -> datetime:
    """An ISO 8601 instant; without an offset it is read in ``zone``. ValueError says why not."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as error:
        raise ValueError(
            f"{option} {text!r} is not an ISO 8601 time such as 2026-11-16T17:00:00Z"
        ) from error
    return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(zone))
