"""Read one contract YAML file into plain data, remembering where every node was written.

Contracts are written by hand, by people who are not programmers. Three things follow:

* **Nothing is evaluated.** Only PyYAML's safe parser is used, and only for its *events*; this
  module composes the nodes and builds the Python values itself, so no tag can ever construct
  an object. Explicit tags other than the standard scalar and collection ones are reported,
  not obeyed.
* **Values mean what they read as.** Scalars resolve by the YAML 1.2 *core* schema, not by
  YAML 1.1: ``NO`` (Norway) stays text, ``on``/``off``/``y`` stay text, and dates, times and
  ``1:30`` stay text for the pydantic models to parse into their declared types. Mapping keys
  are always the text that was written.
* **Every problem has a place.** Nothing here raises or prints on bad input. Every problem is a
  :class:`~leadcontract.diagnostics.Diagnostic` with a file, a 1-based line and a 1-based
  column, and every value of the result has its position in a :class:`SourceMap`, keyed by
  JSON pointer, so that later stages can point at the exact spot too.

Why compose from parser events rather than call ``yaml.compose``: libyaml's composer recurses
in C and crashes the interpreter on deeply nested input, and PyYAML's pure-Python parser is
several times too slow for interactive use. Events from libyaml's parser (the one
``CSafeLoader`` uses), composed here without recursion, are fast, bounded against nesting and
alias bombs, and keep the position of every alias occurrence.
"""

from __future__ import annotations

import bisect
import math
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NoReturn, Protocol

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from leadcontract.diagnostics import Diagnostic, Location, make

__all__ = [
    "MAX_BYTES",
    "MAX_NODES",
    "SourceMap",
    "YamlDocument",
    "parse_yaml",
    "read_yaml",
]

MAX_BYTES: Final = 1_048_576
"""Largest contract file read (1 MiB). Contracts are small; anything bigger is a mistake."""

MAX_NODES: Final = 200_000
"""Most nodes a document may expand to, an alias counting every node it repeats.

A 2,000-line contract has a few thousand nodes; the limit only stops alias bombs and
accidents, long before they exhaust memory.
"""

_MAX_DEPTH: Final = 100
"""Deepest nesting accepted. Deeper input is never a contract, and it makes parsers slow."""

_TAG_PREFIX: Final = "tag:yaml.org,2002:"
_STR: Final = _TAG_PREFIX + "str"
_INT: Final = _TAG_PREFIX + "int"
_FLOAT: Final = _TAG_PREFIX + "float"
_BOOL: Final = _TAG_PREFIX + "bool"
_NULL: Final = _TAG_PREFIX + "null"
_MAP: Final = _TAG_PREFIX + "map"
_SEQ: Final = _TAG_PREFIX + "seq"
_MERGE: Final = _TAG_PREFIX + "merge"

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution). ``\Z`` rather than
# ``$``: the resolver calls ``match``, and ``$`` would also accept a trailing newline.
_NULL_RE: Final = re.compile(r"(?:~|null|Null|NULL|)\Z")
_BOOL_RE: Final = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_INT_RE: Final = re.compile(r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_FLOAT_RE: Final = re.compile(
    r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)
_MERGE_RE: Final = re.compile(r"<<\Z")

# What the YAML reader accepts (``c-printable``); checked up front so that a stray control
# character gets an exact line and column and a plain message, not a byte offset.
_NOT_PRINTABLE_RE: Final = re.compile(
    "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# The line breaks the parser counts lines by.
_BREAK_RE: Final = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_BREAK_CHARS: Final = "\r\n\x85\u2028\u2029"


class _CoreResolver(yaml.resolver.BaseResolver):
    """Implicit tag resolution by the YAML 1.2 core schema.

    PyYAML's own ``Resolver`` implements YAML 1.1, where ``NO`` is ``False`` and ``2026-01-01``
    is a date; a contract author writing a country code or a date means text.
    """

    def resolve_scalar(self, value: str, implicit: tuple[bool, bool]) -> str:
        """The tag of a scalar without an explicit tag: resolved if plain, else ``!!str``.

        ``BaseResolver.resolve`` for scalars, typed, minus path resolvers (the core schema
        has none).
        """
        if implicit[0]:
            for tag, pattern in self.yaml_implicit_resolvers.get(value[:1], ()):
                if pattern.match(value):
                    return str(tag)
        return _STR


_CoreResolver.add_implicit_resolver(_BOOL, _BOOL_RE, list("tTfF"))
_CoreResolver.add_implicit_resolver(_INT, _INT_RE, list("-+0123456789"))
_CoreResolver.add_implicit_resolver(_FLOAT, _FLOAT_RE, list("-+.0123456789"))
_CoreResolver.add_implicit_resolver(_NULL, _NULL_RE, ["~", "n", "N", ""])
_CoreResolver.add_implicit_resolver(_MERGE, _MERGE_RE, ["<"])


# --------------------------------------------------------------------------------------------
# Public records


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Where each node of a document was written, by JSON pointer (RFC 6901).

    ``values`` maps the pointer of every value (``""`` is the root) to the ``(line, column)``
    where that value starts (at its anchor or tag if it has one); for an alias that is the
    alias itself, while the values inside an alias or brought in by a merge key point to
    where they were written in the anchor. ``keys`` maps the pointer of every mapping member
    to where its key was written. Positions are 1-based, as editors show them.
    """

    file: str
    values: dict[str, tuple[int, int]]
    keys: dict[str, tuple[int, int]]
    # String scalars by pointer, with what it takes to map offsets inside them to the file.
    _texts: dict[str, _Scalar] = field(default_factory=dict, repr=False, compare=False)
    _source: str = field(default="", repr=False, compare=False)
    _starts: list[int] = field(default_factory=list, repr=False, compare=False)

    def locate(self, pointer: str, *, key: bool = False) -> Location:
        """Where ``pointer`` was written, as precisely as is known.

        With ``key=True`` the member's key is preferred (an unknown key is best shown at the
        key, not at its value). A pointer that was never recorded, such as a member the
        author left out, falls back to its nearest recorded ancestor, finally to 1:1.
        """
        if key:
            found = self.keys.get(pointer)
            if found is not None:
                return Location(self.file, found[0], found[1])
        probe = pointer
        while True:
            found = self.values.get(probe)
            if found is not None:
                return Location(self.file, found[0], found[1])
            if not probe:
                return Location(self.file, 1, 1)
            probe = probe.rpartition("/")[0]

    def locate_in_scalar(self, pointer: str, offset: int) -> Location:
        """Where character ``offset`` of the string value at ``pointer`` was written.

        Exact for plain and quoted single-line scalars without escapes and for literal
        (``|``) blocks, so that, say, a syntax error inside a condition points at the very
        character. Otherwise (folded or escaped text, an offset out of range) it is the
        scalar's start; for a pointer that is not a string, :meth:`locate`.
        """
        node = self._texts.get(pointer)
        if node is None:
            return self.locate(pointer)
        text = node.text
        if 0 <= offset <= len(text):
            if not self._starts:
                self._starts.extend(_line_starts(self._source))
            first = _first_character(node, self._source, self._starts)
            if first is not None:
                line, column = first
                if node.style == "|":
                    line += text.count("\n", 0, offset)
                    column += offset - (text.rfind("\n", 0, offset) + 1)
                else:
                    column += offset
                return Location(self.file, line, column)
        return Location(self.file, node.line, node.column)


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """One parsed contract file: plain data plus where each part of it was written."""

    file: str
    data: Any
    source_map: SourceMap


# --------------------------------------------------------------------------------------------
# Entry points


def read_yaml(
    path: Path,
    *,
    display_name: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_nodes: int = MAX_NODES,
) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Read and parse the contract file at ``path``; never raises on bad input.

    ``display_name`` is the name diagnostics show (a path relative to the contract folder
    reads better than an absolute one); it defaults to ``str(path)``. The size is checked
    before the file is read, so a huge file costs nothing.
    """
    name = str(path) if display_name is None else display_name
    start = Location(name, 1, 1)
    try:
        info = path.stat()
    except (OSError, ValueError) as exc:
        return None, [_unreadable(name, exc)]
    if stat.S_ISDIR(info.st_mode):
        return None, [
            make(
                "LC001",
                f"cannot read '{name}': it is a folder, not a file",
                start,
                hint="Give the path of a contract file, or read the folder as a contract folder.",
            )
        ]
    if not stat.S_ISREG(info.st_mode):
        return None, [
            make(
                "LC001",
                f"cannot read '{name}': it is not a regular file",
                start,
                hint="Contracts are ordinary .yaml files.",
            )
        ]
    if info.st_size > max_bytes:
        return None, [_too_large(name, info.st_size, max_bytes)]
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except (OSError, ValueError) as exc:
        return None, [_unreadable(name, exc)]
    if len(data) > max_bytes:  # it grew after stat()
        return None, [_too_large(name, len(data), max_bytes)]
    return parse_yaml(data, name, max_bytes=max_bytes, max_nodes=max_nodes)


def parse_yaml(
    text: str | bytes,
    file: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_nodes: int = MAX_NODES,
) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Parse one YAML document held in memory; never raises on bad input.

    ``file`` is the name diagnostics carry. Bytes must be UTF-8 (a leading BOM is dropped).
    Returns ``(None, diagnostics)`` when there is no usable document (not UTF-8, too large,
    empty, a syntax error, an alias bomb); otherwise the document and the diagnostics about
    it, e.g. every duplicate key, all found in one pass.
    """
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            return None, [_too_large(file, len(text), max_bytes)]
        decoded = _decode(text, file)
        if isinstance(decoded, Diagnostic):
            return None, [decoded]
        source = decoded
    else:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            return None, [_too_large(file, size, max_bytes)]
        source = text.removeprefix("\ufeff")

    bad = _NOT_PRINTABLE_RE.search(source)
    if bad is not None:
        line, column = _position(source, bad.start())
        return None, [
            make(
                "LC005",
                f"the character U+{ord(bad.group()):04X} is not allowed in YAML",
                Location(file, line, column),
                hint="Delete it; invisible control characters often come in when text is "
                "pasted from another program.",
            )
        ]

    composer = _Composer(source, file, max_nodes)
    try:
        root = composer.compose()
    except _FatalError as fatal:
        return None, [*composer.diagnostics, fatal.diagnostic]
    except yaml.YAMLError as exc:
        return None, [*composer.diagnostics, _syntax_error(exc, source, file)]
    if root is None:
        return None, [
            *composer.diagnostics,
            make(
                "LC002",
                "the file is empty: it holds no YAML document",
                Location(file, 1, 1),
                hint="Write the contract into it, or delete the file.",
            ),
        ]
    values: dict[str, tuple[int, int]] = {}
    keys: dict[str, tuple[int, int]] = {}
    texts: dict[str, _Scalar] = {}
    data = _build(root, "", values, keys, texts)
    source_map = SourceMap(file, values, keys, texts, source)
    return YamlDocument(file, data, source_map), composer.diagnostics


# --------------------------------------------------------------------------------------------
# Reading helpers


def _unreadable(name: str, exc: OSError | ValueError) -> Diagnostic:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    hint = (
        "Check the file's permissions."
        if isinstance(exc, PermissionError)
        else "Check that the path is spelt correctly and that the file exists."
    )
    return make("LC001", f"cannot read '{name}': {reason}", Location(name, 1, 1), hint=hint)


def _too_large(name: str, size: int, limit: int) -> Diagnostic:
    return make(
        "LC004",
        f"the file is {size} bytes, larger than the limit of {limit} bytes",
        Location(name, 1, 1),
        hint="Split the contract into several files of a contract folder.",
    )


def _decode(data: bytes, file: str) -> str | Diagnostic:
    """Strict UTF-8, so that every reader of the contract sees the same characters."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8")
        line, column = _position(prefix, len(prefix))
        return make(
            "LC003",
            f"the file is not valid UTF-8: byte 0x{data[exc.start]:02X} at line {line}, "
            f"column {column} cannot be decoded",
            Location(file, line, column),
            hint="Save the file as UTF-8 text (in most editors: 'Save as', encoding 'UTF-8').",
        )


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``, counting lines as the parser does."""
    line, line_start = 1, 0
    for found in _BREAK_RE.finditer(text, 0, index):
        line += 1
        line_start = found.end()
    return line, index - line_start + 1


def _line_starts(source: str) -> list[int]:
    """Offsets at which the lines of ``source`` start."""
    return [0, *(found.end() for found in _BREAK_RE.finditer(source))]


def _line_text(source: str, starts: list[int], line: int) -> str:
    """The text of 0-based ``line`` without its line break ('' past the end)."""
    if line >= len(starts):
        return ""
    end = starts[line + 1] if line + 1 < len(starts) else len(source)
    return source[starts[line] : end].rstrip(_BREAK_CHARS)


def _syntax_error(exc: yaml.YAMLError, source: str, file: str) -> Diagnostic:
    """LC005 at the place the parser gave up, in the parser's own words."""
    mark = exc.problem_mark if isinstance(exc, yaml.MarkedYAMLError) else None
    if not isinstance(exc, yaml.MarkedYAMLError) or mark is None:
        return make("LC005", f"the YAML cannot be read: {exc}", Location(file, 1, 1))
    message = exc.problem or "the YAML cannot be read"
    if "nesting depth" in message:
        # libyaml 0.2.6 and later refuse flow nesting past their own limit while scanning, before
        # the composer's shallower limit is reached; say it in the composer's words.
        return make(
            "LC005",
            f"the YAML is nested more than {_MAX_DEPTH} levels deep",
            Location(file, mark.line + 1, mark.column + 1),
            hint="Contracts are never this deep; check the brackets and indentation.",
        )
    cmark = exc.context_mark
    if exc.context:
        context = exc.context
        if cmark is not None and (cmark.line, cmark.column) != (mark.line, mark.column):
            context += f" that starts at line {cmark.line + 1}, column {cmark.column + 1}"
        message = f"{message} ({context})"
    starts = _line_starts(source)
    line_text = _line_text(source, starts, mark.line)
    indentation = line_text[: len(line_text) - len(line_text.lstrip(" \t"))]
    hint: str | None = None
    problem = exc.problem or ""
    if "\t" in indentation or line_text[mark.column : mark.column + 1] == "\t":
        hint = "YAML does not allow tabs for indentation; indent with spaces."
    elif exc.context and "quoted scalar" in exc.context:
        hint = "A quote is opened but never closed; close it or remove it."
    elif "mapping values are not allowed" in problem:
        hint = "A value that contains ': ' must be put in quotes."
        if _deeper_key(line_text, mark.column, _line_above(source, starts, mark.line)):
            hint = (
                "This line is indented more than the line above, so YAML reads it as the rest "
                "of that line's value: indent it like the line above. (" + hint + ")"
            )
    elif "expected '-' indicator" in problem or (
        "did not find expected key" in problem and cmark is not None and cmark.column == mark.column
    ):
        hint = (
            "Each item of a list starts with `- ` (a dash and a space), all in one column; a "
            "list item and a `key: value` cannot share one level."
        )
    elif "did not find expected key" in problem and line_text.lstrip().startswith("- "):
        hint = (
            f"This list item starts in column {mark.column + 1}, out of line with the lines "
            "above it: start every item of one list in the same column."
        )
    elif "did not find expected key" in problem and cmark is not None:
        hint = (
            f"This line starts in column {mark.column + 1}, but the keys of the mapping that "
            f"starts at line {cmark.line + 1} are in column {cmark.column + 1}: indent the keys "
            "of one mapping by the same number of spaces (a nested mapping further than its key)."
        )
    return make("LC005", message, Location(file, mark.line + 1, mark.column + 1), hint=hint)


def _line_above(source: str, starts: list[int], line: int) -> str:
    """The nearest line above 0-based ``line`` that holds more than blanks or a comment."""
    for above in range(line - 1, -1, -1):
        text = _line_text(source, starts, above)
        if text.strip() and not text.lstrip().startswith("#"):
            return text
    return ""


def _deeper_key(line_text: str, column: int, above: str) -> bool:
    """Whether the line is a bare ``key:`` indented deeper than the line above: the parser read
    it as a continuation of that line's plain value, and its ``:`` is the error."""
    key = line_text[:column]
    depth = len(key) - len(key.lstrip(" "))
    return (
        bool(above)
        and bool(re.fullmatch(r" *[\w.-]+ *", key))
        and depth > (len(above) - len(above.lstrip(" ")))
    )


def _quoted(text: str, limit: int = 40) -> str:
    """``text`` for a message: quoted, and shortened if long."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


# --------------------------------------------------------------------------------------------
# Composing: parser events -> nodes


class _EventSource(Protocol):
    def get_event(self) -> Event | None: ...
    def peek_event(self) -> Event | None: ...
    def dispose(self) -> None: ...


class _PurePythonParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python event parser, for installations without libyaml."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


def _pure_python_parser(source: str) -> _EventSource:
    return _PurePythonParser(source)


try:
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _make_parser = _pure_python_parser
else:

    def _make_parser(source: str) -> _EventSource:
        return CParser(source)


class _FatalError(Exception):
    """Stops composing: the document cannot be used at all."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class _Node:
    """A composed node at 1-based ``line``/``column`` (where its properties start).

    ``size`` is how many nodes building it creates, aliases expanded; ``depth`` how deep it
    nests, aliases expanded. Both are known when the node is complete, before any expansion.
    """

    __slots__ = ("column", "depth", "line", "size")

    def __init__(self, line: int, column: int, size: int, depth: int) -> None:
        self.line = line
        self.column = column
        self.size = size
        self.depth = depth


class _Scalar(_Node):
    """A scalar: the text as written (``text``) and its value.

    ``style`` is the parser's ('' plain, quote character, ``|`` or ``>``) and ``end`` the
    0-based line and column just after it; :meth:`SourceMap.locate_in_scalar` needs both.
    """

    __slots__ = ("end", "is_merge", "style", "text", "value")

    def __init__(
        self,
        line: int,
        column: int,
        text: str,
        value: Any,
        *,
        style: str = "",
        end: tuple[int, int] = (0, 0),
        is_merge: bool = False,
    ) -> None:
        self.line = line  # the base initializer, inlined: scalars are most of a document
        self.column = column
        self.size = 1
        self.depth = 0
        self.text = text
        self.value = value
        self.style = style
        self.end = end
        self.is_merge = is_merge


class _Sequence(_Node):
    __slots__ = ("items",)

    def __init__(self, line: int, column: int, items: list[_Node], size: int, depth: int) -> None:
        super().__init__(line, column, size, depth)
        self.items = items


_Entry = tuple[str, str, int, int, _Node]
"""A mapping member: key, key escaped for a JSON pointer, key line, key column, value."""


class _Mapping(_Node):
    __slots__ = ("entries",)

    def __init__(
        self, line: int, column: int, entries: list[_Entry], size: int, depth: int
    ) -> None:
        super().__init__(line, column, size, depth)
        self.entries = entries


class _Alias(_Node):
    """An alias occurrence: its own position, the anchored node's content."""

    __slots__ = ("target",)

    def __init__(self, line: int, column: int, target: _Node) -> None:
        super().__init__(line, column, target.size, target.depth)
        self.target = target


class _Frame:
    """A collection being composed."""

    __slots__ = (
        "anchor",
        "children",
        "column",
        "depth",
        "in_merge",
        "is_mapping",
        "line",
        "size",
    )

    def __init__(
        self, line: int, column: int, anchor: str | None, *, is_mapping: bool, in_merge: bool
    ) -> None:
        self.line = line
        self.column = column
        self.anchor = anchor
        self.is_mapping = is_mapping
        self.in_merge = in_merge  # the list of a ``<<: [*a, *b]``: adds no pointer segment
        self.children: list[_Node] = []  # of a mapping: key, value, key, value, ...
        self.size = 1  # lower bound while open: merged members are added on completion
        self.depth = 0


def _target(node: _Node) -> _Node:
    return node.target if type(node) is _Alias else node


def _is_merge_key(node: _Node) -> bool:
    if type(node) is _Alias:
        node = node.target
    return type(node) is _Scalar and node.is_merge


def _escape(key: str) -> str:
    if "~" in key or "/" in key:
        return key.replace("~", "~0").replace("/", "~1")
    return key


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG_PREFIX) if tag.startswith(_TAG_PREFIX) else tag


def _kind(node: _Node) -> str:
    node = _target(node)
    if isinstance(node, _Mapping):
        return "mapping"
    if isinstance(node, _Sequence):
        return "list"
    return "single value"


class _Composer:
    """Builds nodes from parser events, with an explicit stack instead of recursion.

    Every check that concerns what was written happens here, once per written node, however
    often it is repeated through aliases: tags, keys, duplicates, merges, the node budget.
    Sizes are known bottom-up, so an alias bomb is stopped while it is being read, long
    before anything is expanded.
    """

    def __init__(self, source: str, file: str, max_nodes: int) -> None:
        self.source = source
        self.file = file
        self.max_nodes = max_nodes
        self.diagnostics: list[Diagnostic] = []
        self._resolver = _CoreResolver()
        self._plain_tags: dict[str, str] = {}
        self._stack: list[_Frame] = []
        # Completed anchors map to their node; an anchor still being composed to its frame.
        self._anchors: dict[str, _Node | _Frame] = {}
        self._work = 0

    def compose(self) -> _Node | None:
        """The first document's root node; ``None`` if there is no document or it is empty."""
        parser = _make_parser(self.source)
        try:
            return self._compose(parser)
        finally:
            parser.dispose()

    def _compose(self, parser: _EventSource) -> _Node | None:
        parser.get_event()  # StreamStartEvent
        if isinstance(parser.peek_event(), StreamEndEvent):
            return None
        parser.get_event()  # DocumentStartEvent
        root = self._compose_root(parser)
        parser.get_event()  # DocumentEndEvent
        following = parser.peek_event()
        if isinstance(following, DocumentStartEvent) and following.start_mark is not None:
            mark = following.start_mark
            self.diagnostics.append(
                make(
                    "LC008",
                    "the file holds more than one YAML document; only the first one is read",
                    Location(self.file, mark.line + 1, mark.column + 1),
                    hint="Put each document in its own file of a contract folder.",
                )
            )
        if isinstance(root, _Scalar) and root.text == "" and root.value is None:
            return None  # an explicit but empty document ("---") defines nothing either
        return root

    def _compose_root(self, parser: _EventSource) -> _Node:
        stack = self._stack
        anchors = self._anchors
        get_event = parser.get_event
        while True:
            event = get_event()
            node: _Node
            if type(event) is ScalarEvent:
                node = self._scalar(event)
                if event.anchor is not None:
                    anchors[event.anchor] = node
            elif type(event) is MappingStartEvent:
                self._push(event, is_mapping=True)
                continue
            elif type(event) is SequenceStartEvent:
                self._push(event, is_mapping=False)
                continue
            elif type(event) is MappingEndEvent or type(event) is SequenceEndEvent:
                frame = stack.pop()
                node = self._complete(frame)
                if frame.anchor is not None and anchors.get(frame.anchor) is frame:
                    anchors[frame.anchor] = node
            elif type(event) is AliasEvent:
                node = self._alias(event)
            else:  # pragma: no cover - the parser guarantees a well-formed event stream
                raise yaml.YAMLError(f"unexpected parser event {event!r}")
            self._work += 1
            if self._work > self.max_nodes:
                self._too_many(node.line, node.column, "the document")
            if not stack:
                return node
            self._add(stack[-1], node)

    # -- collections ----------------------------------------------------------------------

    def _push(self, event: CollectionStartEvent, *, is_mapping: bool) -> None:
        mark = event.start_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        stack = self._stack
        if len(stack) >= _MAX_DEPTH:
            raise _FatalError(
                make(
                    "LC005",
                    f"the YAML is nested more than {_MAX_DEPTH} levels deep",
                    Location(self.file, line, column),
                    pointer=self._pointer(),
                    hint="Contracts are never this deep; check the brackets and indentation.",
                )
            )
        if event.tag is not None and event.tag not in ("!", _MAP if is_mapping else _SEQ):
            kind = "mapping" if is_mapping else "list"
            self._unsupported_tag(event.tag, kind, line, column, self._pointer())
        parent = stack[-1] if stack else None
        in_merge = (
            not is_mapping
            and parent is not None
            and parent.is_mapping
            and len(parent.children) % 2 == 1
            and _is_merge_key(parent.children[-1])
        )
        frame = _Frame(line, column, event.anchor, is_mapping=is_mapping, in_merge=in_merge)
        if event.anchor is not None:
            self._anchors[event.anchor] = frame
        stack.append(frame)

    def _add(self, frame: _Frame, node: _Node) -> None:
        """Append a finished child, keeping the frame's size and depth up to date."""
        children = frame.children
        if frame.is_mapping:
            if len(children) % 2 == 0:  # a key: counted with its value
                children.append(node)
                return
            key = children[-1]
            children.append(node)
            if _is_merge_key(key):  # merged members are counted when the mapping is complete
                return
            frame.size += node.size + 1
        else:
            children.append(node)
            frame.size += node.size
        if node.depth >= frame.depth:
            frame.depth = node.depth + 1
        if frame.size > self.max_nodes or frame.depth > _MAX_DEPTH:
            self._check_budget(frame, frame.size, frame.depth, is_open=True)

    def _complete(self, frame: _Frame) -> _Node:
        if not frame.is_mapping:
            return _Sequence(frame.line, frame.column, frame.children, frame.size, frame.depth)
        entries = self._members(frame)
        size = 1
        depth = 0
        for entry in entries:
            value = entry[4]
            size += value.size + 1
            if value.depth >= depth:
                depth = value.depth + 1
        self._check_budget(frame, size, depth, is_open=False)
        return _Mapping(frame.line, frame.column, entries, size, depth)

    def _members(self, frame: _Frame) -> list[_Entry]:
        """A mapping's members: bad and duplicate keys reported, merge keys applied."""
        children = frame.children
        explicit: dict[str, int] = {}
        merge_line: int | None = None
        plan: list[_Entry | list[_Mapping]] = []
        for index in range(0, len(children), 2):
            key_node, value = children[index], children[index + 1]
            key = _target(key_node)
            if not isinstance(key, _Scalar):
                self._report(
                    "LC009",
                    f"a mapping key must be a single value, not a {_kind(key)}",
                    key_node.line,
                    key_node.column,
                    pointer=self._pointer(),
                    hint="Write the key as plain text.",
                )
                continue
            if key.is_merge:
                if merge_line is not None:
                    self._duplicate("<<", merge_line, key_node)
                    continue
                merge_line = key_node.line
                plan.append(self._merge_sources(value))
                continue
            first = explicit.get(key.text)
            if first is not None:
                self._duplicate(key.text, first, key_node)
                continue
            explicit[key.text] = key_node.line
            plan.append((key.text, _escape(key.text), key_node.line, key_node.column, value))
        entries: list[_Entry] = []
        if merge_line is None:
            entries.extend(item for item in plan if isinstance(item, tuple))
            return entries
        present: set[str] = set()
        for item in plan:
            if isinstance(item, tuple):
                entries.append(item)
                present.add(item[0])
                continue
            for source in item:  # earlier sources win over later ones
                for entry in source.entries:
                    if entry[0] in explicit or entry[0] in present:
                        continue  # explicit members win over merged ones
                    present.add(entry[0])
                    entries.append(entry)
                self._work += len(source.entries)
                if self._work > self.max_nodes:
                    self._too_many(frame.line, frame.column, "merging into this mapping")
        return entries

    def _merge_sources(self, value: _Node) -> list[_Mapping]:
        target = _target(value)
        if isinstance(target, _Mapping):
            return [target]
        if isinstance(target, _Sequence):
            sources: list[_Mapping] = []
            for item in target.items:
                source = _target(item)
                if isinstance(source, _Mapping):
                    sources.append(source)
                else:
                    self._report(
                        "LC009",
                        f"every item of a '<<' list must be a mapping, not a {_kind(item)}",
                        item.line,
                        item.column,
                        pointer=self._pointer(),
                        hint="Merge mappings only, usually aliases: '<<: [*defaults, *other]'.",
                    )
            return sources
        self._report(
            "LC009",
            f"the value of '<<' must be a mapping or a list of mappings, not a {_kind(value)}",
            value.line,
            value.column,
            pointer=self._pointer(),
            hint="Write '<<: *defaults' where '&defaults' anchors a mapping.",
        )
        return []

    def _duplicate(self, key: str, first_line: int, key_node: _Node) -> None:
        self._report(
            "LC006",
            f"duplicate key {_quoted(key)}: it is already written on line {first_line}",
            key_node.line,
            key_node.column,
            pointer=f"{self._pointer()}/{_escape(key)}",
            hint="The first value is kept and this one is ignored; remove or rename one of them.",
        )

    # -- scalars and aliases --------------------------------------------------------------

    def _scalar(self, event: ScalarEvent) -> _Scalar:
        mark = event.start_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        end_mark = event.end_mark
        end = (end_mark.line, end_mark.column) if end_mark is not None else (0, 0)
        text = event.value
        style = event.style or ""
        tag = event.tag
        if tag is None:
            if event.implicit[0]:
                tag = self._plain_tags.get(text)
                if tag is None:
                    tag = self._resolver.resolve_scalar(text, event.implicit)
                    self._plain_tags[text] = tag
            else:
                tag = _STR
        elif tag == "!":  # the non-specific tag: YAML says such a scalar is a string
            tag = _STR
        if tag == _STR:
            return _Scalar(line, column, text, text, style=style, end=end)
        if tag == _MERGE and event.tag is None:  # only a plain '<<' merges; '!!merge' is a tag
            return _Scalar(line, column, text, text, style=style, end=end, is_merge=True)
        constructor = _CONSTRUCTORS.get(tag)
        if constructor is None:
            self._unsupported_tag(tag, "single value", line, column, self._scalar_pointer(text))
            return _Scalar(line, column, text, text, style=style, end=end)
        try:
            value = constructor(text)
        except ValueError:
            short = _short_tag(tag)
            self._report(
                "LC009",
                f"{_quoted(text)} is not a valid {short} value",
                line,
                column,
                pointer=self._scalar_pointer(text),
                hint=f"Write a valid {short} value, or remove the tag.",
            )
            return _Scalar(line, column, text, text, style=style, end=end)
        return _Scalar(line, column, text, value)

    def _alias(self, event: AliasEvent) -> _Node:
        mark = event.start_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        name = event.anchor or ""
        target = self._anchors.get(name)
        if isinstance(target, _Node):
            return _Alias(line, column, target)
        if target is None:
            self._report(
                "LC005",
                f"the alias '*{name}' refers to no anchor '&{name}' written before it",
                line,
                column,
                pointer=self._pointer(),
                hint="Write the anchor first, or check the spelling of the alias.",
            )
        else:
            self._report(
                "LC009",
                f"the alias '*{name}' is inside the node it refers to",
                line,
                column,
                pointer=self._pointer(),
                hint="Recursive data cannot be written in a contract.",
            )
        return _Scalar(line, column, f"*{name}", None)  # read as null, after the report

    # -- reporting ------------------------------------------------------------------------

    def _unsupported_tag(self, tag: str, kind: str, line: int, column: int, pointer: str) -> None:
        short = _short_tag(tag)
        if tag in _CONSTRUCTORS or tag in (_STR, _MAP, _SEQ):
            message = f"the tag '{short}' cannot be used on a {kind}"
        else:
            message = f"the tag '{short}' is not supported in contracts"
        self._report(
            "LC009",
            message,
            line,
            column,
            pointer=pointer,
            hint="Remove the tag; put the value in quotes if it must stay text.",
        )

    def _report(
        self, code: str, message: str, line: int, column: int, *, pointer: str, hint: str
    ) -> None:
        self.diagnostics.append(
            make(code, message, Location(self.file, line, column), pointer=pointer, hint=hint)
        )

    def _check_budget(self, frame: _Frame, size: int, depth: int, *, is_open: bool) -> None:
        """LC007 once ``frame``'s collection is too big or too deep.

        ``is_open``: the frame is still the innermost open collection, not yet popped.
        """
        kind = "mapping" if frame.is_mapping else "list"
        frames = len(self._stack) - 1 if is_open else None
        if size > self.max_nodes:
            self._too_many(frame.line, frame.column, f"this {kind}", frames)
        if depth > _MAX_DEPTH:
            raise _FatalError(
                make(
                    "LC007",
                    f"aliases nest this {kind} more than {_MAX_DEPTH} levels deep",
                    Location(self.file, frame.line, frame.column),
                    pointer=self._pointer(frames),
                    hint="Do not repeat anchors inside the anchors they are repeated in.",
                )
            )

    def _too_many(self, line: int, column: int, what: str, frames: int | None = None) -> NoReturn:
        raise _FatalError(
            make(
                "LC007",
                f"{what} expands to more than {self.max_nodes} nodes "
                "(an alias counts every node it repeats)",
                Location(self.file, line, column),
                pointer=self._pointer(frames),
                hint="Repeat anchors less, or write the values out; no contract needs this many.",
            )
        )

    def _pointer(self, frames: int | None = None) -> str:
        """JSON pointer of the node being finished into the innermost open collection.

        With ``frames``, into the innermost of the outer ``frames`` open collections instead.
        Diagnostics found while composing carry the pointer of where the node is written
        (for an anchor: the anchor's place). Merge keys and ``<<`` lists add no segment,
        since the members they bring in land in the mapping that holds them.
        """
        parts: list[str] = []
        for frame in self._stack[:frames]:
            children = frame.children
            if not frame.is_mapping:
                if not frame.in_merge:
                    parts.append(str(len(children)))
            elif len(children) % 2 == 1:
                key = _target(children[-1])
                if not isinstance(key, _Scalar):
                    parts.append("?")
                elif not key.is_merge:
                    parts.append(_escape(key.text))
        return "".join("/" + part for part in parts)

    def _scalar_pointer(self, text: str) -> str:
        """Like :meth:`_pointer`, for a scalar that may be about to become a key."""
        stack = self._stack
        if stack and stack[-1].is_mapping and len(stack[-1].children) % 2 == 0:
            return f"{self._pointer()}/{_escape(text)}"
        return self._pointer()


# --------------------------------------------------------------------------------------------
# Scalar construction (YAML 1.2 core schema)


def _null(text: str) -> None:
    if not _NULL_RE.match(text):
        raise ValueError(text)


def _bool(text: str) -> bool:
    if not _BOOL_RE.match(text):
        raise ValueError(text)
    return text.lower() == "true"


def _int(text: str) -> int:
    if not _INT_RE.match(text):
        raise ValueError(text)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)  # ValueError past Python's digit limit: reported as an invalid value


def _float(text: str) -> float:
    if _INT_RE.match(text):  # ``!!float 1`` is 1.0
        return float(_int(text))
    if not _FLOAT_RE.match(text):
        raise ValueError(text)
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(text)


_CONSTRUCTORS: Final[dict[str, Callable[[str], Any]]] = {
    _NULL: _null,
    _BOOL: _bool,
    _INT: _int,
    _FLOAT: _float,
}


# --------------------------------------------------------------------------------------------
# Building: nodes -> values


def _build(
    node: _Node,
    pointer: str,
    values: dict[str, tuple[int, int]],
    keys: dict[str, tuple[int, int]],
    texts: dict[str, _Scalar],
) -> Any:
    """Plain Python values for ``node``, recording each position under its pointer.

    Aliases are expanded into fresh copies, so that every place has its own pointer and
    position. The recursion is bounded: composing refused anything deeper than
    ``_MAX_DEPTH``, aliases included.
    """
    values[pointer] = (node.line, node.column)
    node = _target(node)
    if isinstance(node, _Scalar):
        if node.value is node.text:  # a string (constructed values are never the text)
            texts[pointer] = node
        return node.value
    if isinstance(node, _Sequence):
        items: list[Any] = []
        for index, item in enumerate(node.items):
            items.append(_build(item, f"{pointer}/{index}", values, keys, texts))
        return items
    assert isinstance(node, _Mapping)
    members: dict[str, Any] = {}
    for key, escaped, key_line, key_column, child in node.entries:
        member = f"{pointer}/{escaped}"
        keys[member] = (key_line, key_column)
        members[key] = _build(child, member, values, keys, texts)
    return members


# --------------------------------------------------------------------------------------------
# Offsets inside string scalars


def _first_character(node: _Scalar, source: str, starts: list[int]) -> tuple[int, int] | None:
    """1-based position of the first character of a string's value, if offsets map exactly.

    Only when the text can be checked against the source character for character: a plain
    or quoted scalar on one line without escapes (offset ``i`` is ``i`` columns further), or
    a literal block (line ``k`` of the value is ``k`` lines further, at the same indent).
    """
    text = node.text
    style = node.style
    if not text:
        return None
    if style in ("", "'", '"'):
        end_line, end_column = node.end
        quote = 1 if style else 0
        first = end_column - quote - len(text)
        if first - quote < 0 or end_line >= len(starts):
            return None
        offset = starts[end_line] + first
        if source[offset : offset + len(text)] != text:
            return None
        if style and (
            source[offset - 1] != style
            or source[offset + len(text) : offset + len(text) + 1] != style
            or ("\\" if style == '"' else "'") in text
        ):
            return None
        return end_line + 1, first + 1
    if style == "|":
        return _literal_start(node, source, starts)
    return None


def _literal_start(node: _Scalar, source: str, starts: list[int]) -> tuple[int, int] | None:
    """1-based position of a literal block's first content character, if every line checks."""
    if node.line - 1 >= len(starts):  # pragma: no cover - marks lie inside the source
        return None
    header = source.find("|", starts[node.line - 1] + node.column - 1)
    if header < 0:  # pragma: no cover - a literal scalar has its '|' indicator
        return None
    first_line = bisect.bisect_right(starts, header)  # 0-based: the line after the header
    indent: int | None = None
    for number, content in enumerate(node.text.split("\n")):
        if not content:
            continue
        if first_line + number >= len(starts):
            return None
        if indent is None:
            written = _line_text(source, starts, first_line + number)
            indent = len(written) - len(written.lstrip(" "))
            indent -= len(content) - len(content.lstrip(" "))
            if indent < 0:
                return None
        begin = starts[first_line + number] + indent
        end = begin + len(content)
        if source[begin:end] != content or source[end : end + 1] not in ("", *_BREAK_CHARS):
            return None
    if indent is None:
        return None
    return first_line + 1, indent + 1
