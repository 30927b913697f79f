"""Lint configuration: which codes to report, at which severity, and where, as ruff does.

The configuration is found by walking up from the contract's path: in each folder, a
``.leadcontract.yaml`` first, then a ``pyproject.toml`` with a ``[tool.leadcontract]`` table;
the nearest one wins and no others are merged in. Its keys::

    select = ["LC"]                 # codes (or code prefixes, or dotted names) to report
    ignore = ["LC502"]              # codes not to report; ignore wins over select
    severity = {LC310 = "error"}    # change a code's severity
    per-path-ignores = {"contracts/legacy/*" = ["LC805"]}   # globs from the config's folder

Findings that keep the contract from loading at all (``LC0xx`` reading, ``LC1xx`` structure)
cannot be ignored or downgraded: a contract that does not load must never pass.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadcontract._yaml import read_yaml
from leadcontract.diagnostics import CODES, Diagnostic, Severity

__all__ = ["ConfigError", "FoundConfig", "LintConfig", "find_config", "load_config"]

CONFIG_FILE = ".leadcontract.yaml"
PYPROJECT = "pyproject.toml"
PROTECTED_PREFIXES = ("LC0", "LC1")
"""Codes of contracts that do not load: never ignored, never downgraded."""


class ConfigError(ValueError):
    """The configuration file is wrong: which file, and what was expected."""


class LintConfig(BaseModel):
    """What ``leadcontract lint`` reports."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    select: list[str] = Field(default_factory=lambda: ["LC"])
    """Codes, code prefixes (LC7) or dotted names (spiff.overlap) to report."""
    ignore: list[str] = Field(default_factory=list)
    """Codes not to report; wins over `select`."""
    severity: dict[str, Severity] = Field(default_factory=dict)
    """Severity per code (error or warning)."""
    per_path_ignores: dict[str, list[str]] = Field(default_factory=dict, alias="per-path-ignores")
    """Glob (from the configuration's folder) → codes not to report in those files."""


@dataclass(frozen=True)
class FoundConfig:
    """A configuration and the file it came from (globs are relative to its folder)."""

    config: LintConfig
    file: Path | None = None

    @property
    def root(self) -> Path:
        return self.file.parent if self.file is not None else Path.cwd()

    def apply(self, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
        """The diagnostics the configuration keeps, with its severities."""
        config = self.config
        kept: list[Diagnostic] = []
        for diagnostic in diagnostics:
            if diagnostic.code.startswith(PROTECTED_PREFIXES):
                kept.append(diagnostic)
                continue
            if not _matches_any(diagnostic, config.select) or _matches_any(
                diagnostic, config.ignore
            ):
                continue
            if _matches_any(diagnostic, self._path_ignores(diagnostic.file)):
                continue
            severity = config.severity.get(diagnostic.code)
            if severity is not None and severity is not diagnostic.severity:
                diagnostic = replace(diagnostic, severity=severity)  # noqa: PLW2901
            kept.append(diagnostic)
        return kept

    def _path_ignores(self, file: str | None) -> list[str]:
        if file is None or not self.config.per_path_ignores:
            return []
        path = Path(file).resolve()
        try:
            relative = path.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return []
        return [
            code
            for pattern, codes in self.config.per_path_ignores.items()
            if fnmatch.fnmatch(relative, pattern)
            or any(fnmatch.fnmatch(p.as_posix(), pattern) for p in Path(relative).parents)
            for code in codes
        ]


def _matches_any(diagnostic: Diagnostic, patterns: Iterable[str]) -> bool:
    name = CODES[diagnostic.code].name
    return any(
        diagnostic.code.startswith(p) or name == p or name.startswith(p + ".") for p in patterns
    )


def load_config(path: Path) -> FoundConfig:
    """Read a configuration file (``.leadcontract.yaml`` or ``pyproject.toml``)."""
    data = _read(path)
    if data is None:
        raise ConfigError(f"{path}: no [tool.leadcontract] table")
    try:
        config = LintConfig.model_validate(data)
    except ValidationError as error:
        item = error.errors(include_url=False)[0]
        where = ".".join(str(p) for p in item["loc"]) or "the configuration"
        raise ConfigError(f"{path}: `{where}`: {item['msg']}") from error
    unknown = [
        code
        for code in [*config.severity, *(c for cs in config.per_path_ignores.values() for c in cs)]
        if not any(k.startswith(code) or CODES[k].name.startswith(code) for k in CODES)
    ]
    protected = [c for c, s in config.severity.items() if c.startswith(PROTECTED_PREFIXES)]
    if unknown:
        raise ConfigError(f"{path}: unknown diagnostic code(s): {', '.join(unknown)}")
    if protected:
        raise ConfigError(
            f"{path}: the severity of {', '.join(protected)} cannot change: a contract with "
            "these findings does not load"
        )
    return FoundConfig(config, path)


def _read(path: Path) -> dict[str, Any] | None:
    if path.name == PYPROJECT:
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read {path}: {error}") from error
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: {error}") from error
        tool = table.get("tool", {})
        section = tool.get("leadcontract") if isinstance(tool, dict) else None
        return section if isinstance(section, dict) else None
    document, problems = read_yaml(path)
    if document is None or problems:
        shown = problems[0] if problems else None
        raise ConfigError(
            f"{path}:{shown.line}:{shown.column}: {shown.message}"
            if shown is not None
            else f"cannot read {path}"
        )
    if document.data is None:
        return {}
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings (select, ignore, ...)")
    return document.data


def find_config(start: Path) -> FoundConfig:
    """The nearest configuration above ``start`` (a contract file or folder); the defaults
    (report everything) when there is none."""
    folder = start.resolve()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        yaml_file = candidate / CONFIG_FILE
        if yaml_file.is_file():
            return load_config(yaml_file)
        pyproject = candidate / PYPROJECT
        if pyproject.is_file() and _read(pyproject) is not None:
            return load_config(pyproject)
    return FoundConfig(LintConfig())
