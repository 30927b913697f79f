"""Load a contract: YAML file(s) → merged data → validated :class:`~leadcontract.model.Contract`.

A contract is one file or a folder of files. Each file is a mapping with ``apiVersion`` and any
of the top-level sections. ``metadata`` and ``lead`` are written once; the id-keyed collections
(``calendars``, ``reps``, ``campaigns``, ``slas``, ``spiffs``) merge across files, and an id
defined twice is an error naming both places.

Every pydantic error is placed on the line that caused it through the source maps the YAML
reader recorded; locations are never recovered from error messages. Loading never evaluates.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from enum import Enum
from pathlib import Path
from typing import Any, TypeAlias

import yaml
from pydantic import BaseModel, ValidationError

from leadcontract._yaml import SourceMap, YamlDocument, parse_yaml, read_yaml
from leadcontract.diagnostics import Diagnostic, Location, make, sort_diagnostics
from leadcontract.durations import Duration
from leadcontract.model import API_VERSION, Contract

__all__ = [
    "ContractInput",
    "ContractSource",
    "ContractText",
    "LoadResult",
    "contract_files",
    "escape_pointer",
    "load",
]

SINGLE_SECTIONS = ("apiVersion", "metadata", "lead")
COLLECTIONS = ("calendars", "reps", "campaigns", "slas", "spiffs")
YAML_SUFFIXES = (".yaml", ".yml")
TESTS_FOLDER = "tests"
"""A contract folder's contract tests (``leadcontract test``): YAML, but not the contract."""
_FATAL = frozenset({"LC010", "LC103", "LC104", "LC105"})
"""Merge problems after which the merged data does not say what the author meant."""


def escape_pointer(token: str) -> str:
    """Escape one JSON pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def _split_pointer(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


@dataclass(frozen=True)
class ContractSource:
    """Where each part of a merged contract was written.

    ``owners`` maps a section pointer (``/lead``) or a collection member (``/campaigns/demo``)
    to the file that defined it; every other pointer is looked up in that file's source map.
    """

    files: tuple[str, ...]
    maps: dict[str, SourceMap]
    owners: dict[str, str] = field(default_factory=dict)

    def file_of(self, pointer: str) -> str:
        """The file that wrote the node at ``pointer``."""
        parts = _split_pointer(pointer)
        for depth in (2, 1):
            if len(parts) >= depth:
                prefix = "".join("/" + escape_pointer(p) for p in parts[:depth])
                if prefix in self.owners:
                    return self.owners[prefix]
        return self.files[0]

    def locate(self, pointer: str, *, key: bool = False) -> Location:
        """File, line and column of the node (or of its key) at ``pointer``."""
        return self.maps[self.file_of(pointer)].locate(pointer, key=key)

    def locate_in_scalar(self, pointer: str, offset: int) -> Location:
        """Position of character ``offset`` inside the string scalar at ``pointer``."""
        return self.maps[self.file_of(pointer)].locate_in_scalar(pointer, offset)


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load` found: the contract when it is valid, and every diagnostic."""

    contract: Contract | None
    source: ContractSource | None
    diagnostics: tuple[Diagnostic, ...]
    partial: Contract | None = None
    """When the contract is invalid: the contract without the collection members (a campaign,
    an SLA...) that failed validation, if the rest validates, so that the semantic checks can
    still run on the parts that are right and report every problem at once."""
    dropped: tuple[str, ...] = ()
    """Pointers of the members left out of ``partial`` (``/campaigns/webinar``)."""

    @property
    def ok(self) -> bool:
        """True when a contract was built (warnings may still be present)."""
        return self.contract is not None


def contract_files(path: Path) -> list[Path]:
    """The YAML files of a contract folder, in a stable order (hidden folders and the
    ``tests/`` folder of contract tests skipped)."""
    found = [
        p
        for p in path.rglob("*")
        if p.suffix in YAML_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
        and p.relative_to(path).parts[0] != TESTS_FOLDER
    ]
    return sorted(found, key=lambda p: p.relative_to(path).as_posix())


@dataclass(frozen=True)
class ContractText:
    """One contract file held in memory: its YAML (text, or UTF-8 bytes) and the name that
    diagnostics show for it, since there is no path (``inline.yaml:3:5: LC302 ...``)."""

    text: str | bytes
    name: str = "<string>"


ContractInput: TypeAlias = "str | Path | ContractText | Mapping[str, Any]"
"""One part of a contract: a file or folder path, YAML held in memory, or the plain data."""

MAPPING_NAME = "<mapping>"
"""The pseudo file name of a contract given as plain data (positions refer to its YAML form)."""


def load(paths: ContractInput | Sequence[ContractInput]) -> LoadResult:
    """Load a contract from a file, a folder, YAML text, plain data, or several (merged).

    A plain ``str`` is a path; wrap YAML text in :class:`ContractText`. Plain data (a mapping,
    e.g. from ``json.load``) is written out as YAML named ``<mapping>`` and read like a file,
    so its diagnostics carry positions in that rendering and every check runs the same way.
    """
    single = isinstance(paths, str | Path | ContractText | Mapping)
    items: list[ContractInput] = [paths] if single else list(paths)  # type: ignore[list-item,arg-type]
    diagnostics: list[Diagnostic] = []
    documents: list[YamlDocument] = []
    unreadable = False
    for item in items:
        for document, found in _read(item, diagnostics):
            diagnostics.extend(found)
            if document is None:
                unreadable = True
            else:
                documents.append(document)
    data, source = _merge(documents, diagnostics)
    if unreadable or not documents or any(d.code in _FATAL for d in diagnostics):
        # Validating what is left would report sections "missing" that are only unreadable.
        return LoadResult(None, source if documents else None, tuple(sort_diagnostics(diagnostics)))
    try:
        contract = Contract.model_validate(data)
    except ValidationError as error:
        diagnostics.extend(_placed(error, data, source))
        partial, dropped = _partial(error, data)
        return LoadResult(None, source, tuple(sort_diagnostics(diagnostics)), partial, dropped)
    return LoadResult(contract, source, tuple(sort_diagnostics(diagnostics)))


def _read(
    item: ContractInput, diagnostics: list[Diagnostic]
) -> Iterator[tuple[YamlDocument | None, list[Diagnostic]]]:
    """Parse one part of a contract: every YAML file of a folder, a file, or text in memory."""
    if isinstance(item, ContractText):
        yield parse_yaml(item.text, item.name)
        return
    if isinstance(item, Mapping):
        yield parse_yaml(_as_yaml(item), MAPPING_NAME)
        return
    if not isinstance(item, str | Path):
        raise TypeError(
            f"a contract is a path, ContractText or a mapping, not {type(item).__name__}"
        )
    path = Path(item)
    if path.is_dir():
        files = contract_files(path)
        if not files:
            diagnostics.append(
                make("LC010", f"no .yaml or .yml files in folder {item}", Location(str(item), 1, 1))
            )
        for file_path in files:
            display = str(item).rstrip("/") + "/" + file_path.relative_to(path).as_posix()
            yield read_yaml(file_path, display_name=display)
    else:
        yield read_yaml(path, display_name=str(item))


def _as_yaml(data: Mapping[str, Any]) -> str:
    """Plain data as YAML text, in its own key order; values that are not plain data (dates,
    decimals) are written as text, which the models read the same way as from a file."""
    return yaml.dump(
        _plain(data), Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=1000
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _partial(
    error: ValidationError, data: dict[str, Any]
) -> tuple[Contract | None, tuple[str, ...]]:
    """The contract without the collection members that failed, when the rest is valid."""
    failed: set[tuple[str, ...]] = set()
    for item in error.errors(include_url=False):
        loc = item["loc"]
        if len(loc) >= 2 and loc[0] in COLLECTIONS and isinstance(loc[1], str):
            failed.add((str(loc[0]), loc[1]))
        elif len(loc) >= 3 and loc[:2] == ("lead", "fields") and isinstance(loc[2], str):
            failed.add(("lead", "fields", loc[2]))
        else:
            return None, ()  # metadata or the lead's rules are wrong: nothing sound to check
    trimmed = dict(data)
    for *parents, member in failed:
        trimmed = _without(trimmed, tuple(parents), member)
    try:
        partial = Contract.model_validate(trimmed)
    except ValidationError:
        return None, ()
    dropped = sorted("".join("/" + escape_pointer(part) for part in path) for path in failed)
    return partial, tuple(dropped)


def _without(data: dict[str, Any], parents: tuple[str, ...], member: str) -> dict[str, Any]:
    """A copy of ``data`` without the member at ``parents`` + ``member`` (copied on the way)."""
    if not parents:
        return {k: v for k, v in data.items() if k != member}
    child = data.get(parents[0])
    if not isinstance(child, dict):
        return data
    return {**data, parents[0]: _without(child, parents[1:], member)}


def _merge(
    documents: Sequence[YamlDocument], diagnostics: list[Diagnostic]
) -> tuple[dict[str, Any], ContractSource]:
    """Merge the files' top-level mappings, recording which file owns which part."""
    maps = {d.file: d.source_map for d in documents}
    owners: dict[str, str] = {}
    merged: dict[str, Any] = {}
    for document in documents:
        data = document.data
        where = document.source_map
        if not isinstance(data, dict):
            diagnostics.append(
                make(
                    "LC103",
                    "a contract file must be a mapping of sections "
                    f"(apiVersion, metadata, lead, ...), found {_kind(data)}",
                    where.locate(""),
                )
            )
            continue
        if "apiVersion" not in data and len(documents) > 1:
            diagnostics.append(
                make(
                    "LC102",
                    "missing required key `apiVersion`",
                    where.locate(""),
                    hint=f"start the file with `apiVersion: {API_VERSION}`",
                )
            )
        elif data.get("apiVersion", API_VERSION) != API_VERSION and len(documents) > 1:
            # Merged, only one copy would reach the model; check each file's own.
            shown = repr(data["apiVersion"])
            diagnostics.append(
                make(
                    "LC103",
                    f"`apiVersion`: this file is written for {shown[:60]}, but leadcontract "
                    f"reads `{API_VERSION}`",
                    where.locate("/apiVersion"),
                    pointer="/apiVersion",
                    hint=f"write `apiVersion: {API_VERSION}` in every file of the folder",
                )
            )
        for key, value in data.items():
            pointer = "/" + escape_pointer(key)
            if (
                key in COLLECTIONS
                and key in merged
                and (not isinstance(value, dict) or not isinstance(merged[key], dict))
            ):
                # One file wrote the collection as something other than a mapping of ids: the
                # copies cannot be merged, and which one is wrong is not ours to guess.
                first = maps[owners[pointer]].locate(pointer, key=True)
                diagnostics.append(
                    make(
                        "LC103",
                        f"`{key}` must be a mapping of ids to definitions in every file; "
                        f"here it is {_kind(value)}, and at {first} {_kind(merged[key])}",
                        where.locate(pointer),
                        pointer=pointer,
                        hint=f"write `{key}:` followed by `id: definition` entries",
                    )
                )
                continue
            if key in COLLECTIONS and isinstance(value, dict):
                bucket = merged.setdefault(key, {})
                owners.setdefault(pointer, document.file)
                for member_id, member in value.items():
                    member_pointer = f"{pointer}/{escape_pointer(member_id)}"
                    if member_id in bucket:
                        first = maps[owners[member_pointer]].locate(member_pointer, key=True)
                        diagnostics.append(
                            make(
                                "LC104",
                                f"{key[:-1] if key.endswith('s') else key} `{member_id}` is "
                                f"defined twice: here and at {first}",
                                where.locate(member_pointer, key=True),
                                pointer=member_pointer,
                                hint="rename one of them or delete the copy",
                            )
                        )
                        continue
                    bucket[member_id] = member
                    owners[member_pointer] = document.file
            elif key == "apiVersion" and key in merged:
                continue  # every file repeats it; each copy is checked above
            elif key in merged:
                first = maps[owners[pointer]].locate(pointer, key=True)
                diagnostics.append(
                    make(
                        "LC105",
                        f"section `{key}` is written in more than one file: here and at {first}",
                        where.locate(pointer, key=True),
                        pointer=pointer,
                        hint=f"keep `{key}` in one file of the contract folder",
                    )
                )
            else:
                merged[key] = value
                owners[pointer] = document.file
    files = tuple(d.file for d in documents)
    return merged, ContractSource(files=files, maps=maps, owners=owners)


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


# --- pydantic errors → diagnostics -------------------------------------------------------------


def _placed(
    error: ValidationError, data: dict[str, Any], source: ContractSource
) -> Iterable[Diagnostic]:
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        kind = item["type"]
        pointer, consumed, is_key = _resolve(loc, data)
        path_text = ".".join(str(p) for p in loc if p != "[key]") or "contract"
        if kind == "missing":
            name = str(loc[-1])
            parent = pointer
            where = _readable(parent) or "the contract"
            yield make(
                "LC102",
                f"missing required key `{name}` in `{where}`",
                source.locate(parent, key=bool(parent)),
                pointer=f"{parent}/{escape_pointer(name)}",
                hint=_what_to_write(name, where, loc),
            )
        elif kind == "extra_forbidden":
            name = str(loc[-1])
            allowed = _allowed_keys(loc[:-1])
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = (
                f"did you mean `{close[0]}`?"
                if close
                else (f"allowed here: {', '.join(sorted(allowed))}" if allowed else None)
            )
            parent = _readable(pointer.rsplit("/", 1)[0]) or "the contract"
            yield make(
                "LC101",
                f"unknown key `{name}` in `{parent}`",
                source.locate(pointer, key=True),
                pointer=pointer,
                hint=hint,
            )
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            if consumed < len(loc) and kind not in ("value_error", "assertion_error"):
                message = f"`{path_text}`: {message}"
            elif pointer:
                message = f"`{_readable(pointer)}`: {message}"
            if (
                "input" in item
                and not isinstance(item["input"], dict | list)
                and (kind not in ("value_error",))
            ):
                shown = repr(item["input"])
                message += f" (found {shown[:60] + '...' if len(shown) > 60 else shown})"
            # A validator of a whole section or list (owners need both teams, an SLA needs a
            # stop) is about that node: show its key, not the first line inside it.
            whole = kind in ("value_error", "assertion_error") and isinstance(
                item.get("input"), dict | list
            )
            location = source.locate(pointer, key=is_key or (whole and bool(pointer)))
            purpose = _purpose(loc) if loc and isinstance(loc[-1], str) else None
            hint = f"`{loc[-1]}`: {purpose}" if purpose else None
            yield make("LC103", message, location, pointer=pointer, hint=hint)


def _readable(pointer: str) -> str:
    return ".".join(_split_pointer(pointer))


def _resolve(loc: tuple[Any, ...], data: Any) -> tuple[str, int, bool]:
    """Walk pydantic's ``loc`` through the data: (pointer, loc items used, points at a key).

    Items that do not name a member of the data (union tags, validator names, the missing key
    itself) are skipped, so the pointer is the deepest node that really exists.
    """
    node = data
    pointer = ""
    consumed = 0
    is_key = False
    for item in loc:
        if item == "[key]":
            is_key = True
            consumed += 1
            continue
        if isinstance(node, dict) and isinstance(item, str) and item in node:
            node = node[item]
            pointer += "/" + escape_pointer(item)
            consumed += 1
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            node = node[item]
            pointer += f"/{item}"
            consumed += 1
    return pointer, consumed, is_key


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Names the model at ``loc`` accepts, by walking the model types (for did-you-mean)."""
    current = _annotation_at(loc)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _what_to_write(name: str, where: str, loc: tuple[Any, ...]) -> str:
    """LC102's hint: the missing key, what kind of value it takes, and what it is for."""
    hint = f"add `{name}:` to `{where}`: {_kind_of_value(_annotation_at(loc))}"
    purpose = _purpose(loc)
    return f"{hint} ({purpose.rstrip('.')})" if purpose else hint


def _purpose(loc: tuple[Any, ...]) -> str | None:
    """What the key at ``loc`` is for: the first line of its field's documentation."""
    parent = _annotation_at(loc[:-1])
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
        return None
    name = loc[-1]
    info = next((f for n, f in parent.model_fields.items() if name in (n, f.alias)), None)
    if info is None or not info.description:
        return None
    return info.description.strip().splitlines()[0]


def _kind_of_value(annotation: Any) -> str:
    """What a value of this model type looks like, in the words of the YAML that writes it."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = annotation.model_fields
        needed = [f"`{f.alias or n}`" for n, f in fields.items() if f.is_required()]
        more = [f"`{f.alias or n}`" for n, f in fields.items() if not f.is_required()]
        shape = f"a mapping with {', '.join(needed)}" if needed else "a mapping"
        if more and len(more) <= 8:
            shape += f"; it may also have {', '.join(more)}"
        return shape
    origin = typing.get_origin(annotation)
    if origin is typing.Literal or (isinstance(annotation, type) and issubclass(annotation, Enum)):
        values = typing.get_args(annotation) if origin is typing.Literal else list(annotation)
        return "one of " + ", ".join(f"`{getattr(v, 'value', v)}`" for v in values)
    if origin is list or origin is tuple:
        return "a list"
    if origin is dict or origin is Mapping:
        return "a mapping"
    words: dict[type, str] = {
        str: "text",
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        date: "a date such as 2026-01-31",
        time: "a time such as 09:00",
        Duration: "a duration such as 4h, 1d, 2w or 1d4h",
    }
    for kind, word in words.items():
        if isinstance(annotation, type) and issubclass(annotation, kind):
            return word
    return "a value"


def _annotation_at(loc: tuple[Any, ...]) -> Any:
    """The model type at ``loc``, by walking the model types from the contract down."""
    current: Any = Contract
    for item in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field_info = next(
                (f for n, f in current.model_fields.items() if item in (n, f.alias)), None
            )
            if field_info is None:
                continue
            current = field_info.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        elif typing.get_origin(current) is list:
            current = typing.get_args(current)[0]
    return _unwrap(current)


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` down to the structural type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0] if len(members) == 1 else annotation
            if len(members) != 1:
                return annotation
        else:
            return annotation
