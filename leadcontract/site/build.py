"""Build (or serve) the agreement's standalone site with mkdocs-material, in-process.

The site is an mkdocs project made on the fly: an empty ``docs/`` folder and an ``mkdocs.yml``
whose only content source is the :mod:`leadcontract plugin <leadcontract.site.plugin>`, so the
standalone site and a site that embeds the plugin are built by one code path. It works with
no network: Google Fonts are off (``font: false``), Material's ``offline`` plugin makes search
work from ``file://``, and every diagram and chart is an SVG made at build time.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

__all__ = ["SiteOptions", "build_site", "serve_site", "site_config"]


@dataclass(frozen=True)
class SiteOptions:
    """What goes into an agreement's site."""

    contract: Path
    leads: Path | None = None
    events: Path | Sequence[Path] | None = None
    """One activity export, or several read together (Task and LeadHistory...)."""
    as_of: datetime | None = None
    audit: Path | None = None
    previous: Path | None = None
    title: str = "Lead agreement"


def site_config(options: SiteOptions, *, docs_dir: Path, site_dir: Path) -> dict[str, Any]:
    """The ``mkdocs.yml`` of an agreement's site, as data."""
    plugin: dict[str, Any] = {"contract": str(options.contract.resolve()), "nav": True}
    if options.leads is not None:
        plugin["leads"] = str(options.leads.resolve())
        plugin["as_of"] = options.as_of.isoformat() if options.as_of else None
    if options.events:
        events = [options.events] if isinstance(options.events, Path) else options.events
        plugin["events"] = [str(path.resolve()) for path in events]
    if options.audit is not None:
        plugin["audit"] = str(options.audit.resolve())
    if options.previous is not None:
        plugin["previous"] = str(options.previous.resolve())
    return {
        "site_name": options.title,
        "docs_dir": str(docs_dir.resolve()),
        "site_dir": str(site_dir.resolve()),
        "use_directory_urls": False,
        "theme": {
            "name": "material",
            "font": False,
            "language": "en",
            "palette": {"scheme": "default", "primary": "indigo", "accent": "indigo"},
            "features": ["navigation.top", "navigation.sections", "toc.follow"],
        },
        "plugins": ["search", "offline", {"leadcontract": plugin}],
        "markdown_extensions": [
            "admonition",
            "attr_list",
            "md_in_html",
            "tables",
            {"toc": {"permalink": True}},
        ],
    }


def _write_project(options: SiteOptions, work: Path, site_dir: Path) -> Path:
    docs = work / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    config_file = work / "mkdocs.yml"
    config = site_config(options, docs_dir=docs, site_dir=site_dir)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return config_file


def build_site(options: SiteOptions, site_dir: Path, *, strict: bool = True) -> Path:
    """Build the site into ``site_dir``; returns the path of its ``index.html``.

    Raises :class:`mkdocs.exceptions.MkDocsException` (a plugin error names the contract's
    problems) when the site cannot be built.
    """
    from mkdocs.commands.build import build  # noqa: PLC0415 - the site extra
    from mkdocs.config import load_config  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="leadcontract-site-") as work:
        config_file = _write_project(options, Path(work), site_dir)
        config = load_config(str(config_file), strict=strict)
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    return site_dir / "index.html"


def serve_site(options: SiteOptions, *, address: str = "127.0.0.1:8000") -> None:
    """Serve the site with live reload; edits to the contract rebuild it. Blocks."""
    from mkdocs.commands.serve import serve  # noqa: PLC0415 - the site extra

    with tempfile.TemporaryDirectory(prefix="leadcontract-serve-") as work:
        config_file = _write_project(options, Path(work), Path(work) / "site")
        serve(config_file=str(config_file), livereload=True, dev_addr=address)
