"""The one exception base of leadcontract.

Everything the library raises on purpose derives from :class:`LeadcontractError`, so an
application can catch the library's own failures in one ``except`` without also catching its
own bugs. Problems with a contract or a record are *not* exceptions: they come back as
diagnostics and error rows. Exceptions are for calls that cannot go on (a contract that does
not compile, an audit store that is not one, input in an order the caller promised but broke).
Misuse of the API (``compile_contract(None)``) raises the built-in :class:`TypeError`.
"""

from __future__ import annotations

__all__ = ["LeadcontractError"]


class LeadcontractError(Exception):
    """Base of every exception that leadcontract raises on purpose."""
