"""The mkdocs plugin: a contracts repository puts the agreement's pages in its own site.

In ``mkdocs.yml``::

    plugins:
      - search
      - leadcontract:
          contract: contracts/example        # file or folder, relative to mkdocs.yml
          prefix: agreement                  # the pages go under docs/agreement/
          leads: contracts/example/data/leads.csv      # optional: adds the dashboards
          events: contracts/example/data/events.jsonl
          as_of: "2026-11-16T17:00:00Z"
          # or, instead of the records: audit: audit.db (the latest recorded run)

and link the pages from ``nav`` (``agreement/index.md``, ``agreement/lead.md`` ...), or set
``nav_section: Our agreement`` to have the plugin add them as one section at the end of the
``nav``, or ``nav: true`` to let it lay out the whole navigation (what ``leadcontract docs``
does). Pages are regenerated on every build; under ``mkdocs serve`` the contract and the
records are watched, so editing the contract reloads the page.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files

from leadcontract.site.audit_evidence import AuditEvidenceError
from leadcontract.site.generate import ContractProblemError, Records, generate
from leadcontract.site.pages import SitePages

__all__ = ["LeadContractPlugin", "LeadContractPluginConfig", "parse_as_of"]

STYLESHEET = "stylesheets/leadcontract.css"
SHIM = "assets/javascripts/iframe-worker-shim.js"
"""Material's offline plugin loads this shim from a CDN unless a polyfill names it; the plugin
ships the vendored copy (``leadcontract/site/assets``) in the site instead."""
_ASSETS = Path(__file__).resolve().parent / "assets"
_CSS = """\
/* leadcontract: diagrams and charts fill the text column and keep their proportions. */
.md-typeset img.lifecycle, .md-typeset img.chart { display: block; width: 100%; height: auto;
  margin: 0.8em 0; }
.md-typeset img.lifecycle { max-width: 46rem; }
/* On a phone a figure scaled to the column would write its labels 4 px high: figures keep
   600 px (labels about 8 px and up) and their paragraph scrolls sideways instead. */
.md-typeset img.lifecycle, .md-typeset img.chart { min-width: 600px; }
.md-typeset p:has(> img.lifecycle, > img.chart) { overflow-x: auto; }
.md-typeset table:not([class]) { font-size: 0.72rem; }
.md-typeset td code { white-space: nowrap; }
.md-typeset .admonition.abstract { font-size: 0.8rem; }
.lc-kpis { display: flex; flex-wrap: wrap; gap: 0.8rem; margin: 1em 0 1.5em; }
.lc-kpi { flex: 1 1 0; min-width: 6.5rem; padding: 0.8rem 1rem; border-radius: 0.3rem;
  background: var(--md-code-bg-color); display: flex; flex-direction: column; }
.lc-kpi-value { font-size: 1.5rem; white-space: nowrap; font-weight: 700; line-height: 1.2;
  color: var(--md-primary-fg-color); }
.lc-kpi-label { font-size: 0.7rem; color: var(--md-default-fg-color--light); }
"""


class LeadContractPluginConfig(Config):  # type: ignore[no-untyped-call]
    """The plugin's options in ``mkdocs.yml``."""

    contract = config_options.Type(str)
    prefix = config_options.Type(str, default="")
    leads = config_options.Optional(config_options.Type(str))
    events = config_options.Optional(config_options.Type((str, list)))
    """One activity file, or a list of them (a CRM's Task and LeadHistory exports)."""
    as_of = config_options.Optional(config_options.Type(str))
    audit = config_options.Optional(config_options.Type(str))
    previous = config_options.Optional(config_options.Type(str))
    nav = config_options.Type(bool, default=False)
    nav_section = config_options.Optional(config_options.Type(str))


def parse_as_of(text: str, default_zone: str) -> datetime:
    """An ISO 8601 instant; without an offset it is read in ``default_zone``."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(default_zone))


class LeadContractPlugin(BasePlugin[LeadContractPluginConfig]):  # type: ignore[no-untyped-call]
    """Generates the agreement's pages (and dashboards) into the site being built."""

    def __init__(self) -> None:
        self._base = Path()

    def _path(self, value: str | None) -> Path | None:
        if value is None:
            return None
        path = Path(value)
        return path if path.is_absolute() else self._base / path

    @event_priority(100)  # before Material's offline plugin, which fills in the CDN's shim
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self._base = Path(config.config_file_path or ".").resolve().parent
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        if "material/offline" in config.plugins or "offline" in config.plugins:
            polyfills = config.extra.setdefault("polyfills", [])
            if SHIM not in polyfills:
                polyfills.append(SHIM)
        return config

    def _records(self) -> Records | None:
        leads = self._path(self.config.leads)
        if leads is None:
            return None
        if self.config.as_of is None:
            raise PluginError("leadcontract: `leads` needs `as_of` (the instant to evaluate at)")
        from leadcontract.loader import load  # noqa: PLC0415 - only for the default zone

        loaded = load(self._path(self.config.contract) or self._base)
        zone = loaded.contract.metadata.timezone if loaded.contract else "UTC"
        try:
            as_of = parse_as_of(self.config.as_of, zone)
        except ValueError as error:
            raise PluginError(
                f"leadcontract: as_of {self.config.as_of!r} is not an ISO 8601 time such as "
                "2026-11-16T17:00:00Z"
            ) from error
        return Records(leads, self._events(), as_of)

    def _events(self) -> tuple[Path, ...]:
        value = self.config.events
        names = [value] if isinstance(value, str) else list(value or ())
        return tuple(self._base / name for name in names)

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        contract = self._path(self.config.contract)
        assert contract is not None
        try:
            site = generate(
                contract,
                records=self._records(),
                audit=self._path(self.config.audit),
                previous=self._path(self.config.previous),
            )
        except (ContractProblemError, AuditEvidenceError) as error:
            raise PluginError(f"leadcontract: {error}") from error
        except OSError as error:
            raise PluginError(
                f"leadcontract: cannot read {error.filename}: {error.strerror}"
            ) from error
        except ImportError as error:  # Parquet or Arrow records without the columnar extra
            raise PluginError(f"leadcontract: {error}") from error
        prefix = self.config.prefix.strip("/")
        lead = f"{prefix}/" if prefix else ""
        for path, text in {**site.pages, **site.files}.items():
            files.append(File.generated(config, lead + path, content=text))
        files.append(File.generated(config, STYLESHEET, content=_CSS))
        if SHIM in config.extra.get("polyfills", []):
            shim = (_ASSETS / "iframe-worker-shim.js").read_text(encoding="utf-8")
            files.append(File.generated(config, SHIM, content=shim))
        if self.config.nav:
            config.nav = _nav(site, lead)
        elif self.config.nav_section and config.nav is not None:
            config.nav = [
                *(item for item in config.nav if not _is_section(item, self.config.nav_section)),
                {self.config.nav_section: _nav(site, lead)},
            ]
        return files

    def on_serve(
        self, server: LiveReloadServer, /, *, config: MkDocsConfig, builder: Any
    ) -> LiveReloadServer:
        for value in (self.config.contract, self.config.leads):
            path = self._path(value)
            if path is not None:
                server.watch(str(path))
        for events in self._events():
            server.watch(str(events))
        return server


def _is_section(item: Any, title: str) -> bool:
    return isinstance(item, dict) and title in item


def _nav(site: SitePages, lead: str) -> list[Any]:
    """The agreement's pages first, then the evidence pages as one section."""
    agreement: list[Any] = []
    evidence: list[Any] = []
    for title, path in site.nav:
        (evidence if path.startswith("evidence/") else agreement).append({title: lead + path})
    return agreement + ([{"How it is kept": evidence}] if evidence else [])
