"""mkdocs hooks of the project's own site (mkdocs.yml names this file).

Engineers add pages as plain ``docs/*.md`` files; this puts every top-level page that the
``nav`` does not name yet into a "More" section, so a new page is in the site without an edit
of mkdocs.yml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig


def _named(nav: Any) -> set[str]:
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, list):
        return set().union(*(_named(item) for item in nav)) if nav else set()
    if isinstance(nav, dict):
        return set().union(*(_named(value) for value in nav.values())) if nav else set()
    return set()


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    if config.nav is None:
        return config
    named = _named(config.nav)
    extra = sorted(p.name for p in Path(config.docs_dir).glob("*.md") if p.name not in named)
    if extra:
        config.nav.append({"More": extra})
    return config
