"""Both sites build strictly, offline; the example site renders in a real browser.

The example agreement's site is built once per module (in-process, as ``leadcontract docs``
builds it). The browser test opens it in headless Chromium (the Debian package, listed in
requirements/system.txt) through Playwright with every request outside the site refused.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from playwright.sync_api import Browser, ConsoleMessage, Request, Route, sync_playwright

from leadcontract._rule_pages import rule_pages
from leadcontract.cli import main
from leadcontract.diagnostics import CODES
from leadcontract.inputs import _columnar
from leadcontract.site import SiteOptions, build_site
from leadcontract.site.generate import Records, generate
from leadcontract.site.plugin import LeadContractPlugin

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "contracts" / "example"
LEADS = EXAMPLE / "data" / "leads.csv"
EVENTS = EXAMPLE / "data" / "events.jsonl"
AS_OF = "2026-11-16T17:00:00Z"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PAGES = [
    "index.html",
    "lead.html",
    "campaigns.html",
    "promises.html",
    "spiffs.html",
    "calendars.html",
    "evidence/index.html",
    "evidence/capacity.html",
    "evidence/spiffs.html",
]

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("example-site")
    options = SiteOptions(
        EXAMPLE, LEADS, EVENTS, datetime(2026, 11, 16, 17, tzinfo=UTC), title="Northwind"
    )
    index = build_site(options, site, strict=True)
    assert index == site / "index.html"
    return site


# --- static checks of the built HTML ----------------------------------------------------------


class _Resources(HTMLParser):
    """URLs the browser would load: scripts, stylesheets, images, frames, preloads, fonts."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video") and values.get("src"):
            self.loaded.append(values["src"] or "")
            if tag == "img":
                self.images.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            self.loaded.append(values["href"] or "")


def _external(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") or url.startswith("//")


def test_every_page_is_built_and_loads_nothing_from_the_network(example_site: Path) -> None:
    for page in PAGES:
        html = (example_site / page).read_text(encoding="utf-8")
        parser = _Resources()
        parser.feed(html)
        assert parser.loaded, page
        assert [u for u in parser.loaded if _external(u)] == [], page
        assert "fonts.googleapis" not in html
        assert "fonts.gstatic" not in html
        for image in parser.images:
            assert (example_site / page).parent.joinpath(image).resolve().is_file(), image
    for css in example_site.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), css
    for svg in example_site.rglob("*.svg"):
        text = svg.read_text(encoding="utf-8")
        assert not re.search(r"(xlink:)?href=\"(https?:)?//", text), svg


def test_the_lifecycle_and_charts_are_on_their_pages(example_site: Path) -> None:
    lead = (example_site / "lead.html").read_text(encoding="utf-8")
    assert 'src="images/lifecycle.svg"' in lead
    assert 'class="lifecycle"' in lead
    follow_up = (example_site / "evidence" / "index.html").read_text(encoding="utf-8")
    assert follow_up.count('class="chart"') == 4
    assert "Northwind" in (example_site / "index.html").read_text(encoding="utf-8")


# --- the project's own site --------------------------------------------------------------------


def test_the_project_site_builds_strictly(tmp_path: Path) -> None:
    config = load_config(str(ROOT / "mkdocs.yml"), strict=True, site_dir=str(tmp_path / "site"))
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
    site = tmp_path / "site"
    for page in (
        "index.html",
        "quickstart.html",
        "api.html",
        "rules/LC201.html",
        "example/index.html",
        "example/evidence/index.html",
    ):
        assert (site / page).is_file(), page
    api = (site / "api.html").read_text(encoding="utf-8")
    assert "compile_contract" in api
    assert "LeadContractPlugin" in api
    parser = _Resources()
    parser.feed((site / "index.html").read_text(encoding="utf-8"))
    assert [u for u in parser.loaded if _external(u)] == []


def test_the_rule_pages_are_current() -> None:
    pages = rule_pages()
    on_disk = {
        p.name: p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "rules").glob("*.md")
    }
    assert on_disk == pages, "docs/rules/ is stale: run python -m leadcontract._rule_pages"
    assert set(pages) == {"index.md", *(f"{code}.md" for code in CODES)}
    # Each example is lint's own report of its code.
    for code in CODES:
        page = pages[f"{code}.md"]
        assert "## What it checks" in page
        assert "## Why" in page
        assert "## Fix" in page
        if "```text" in page:
            assert f": {code} " in page.split("```text")[1]


def test_the_quickstart_works_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    files = re.findall(r'```\w+ title="([^"]+)"\n(.*?)```', text, re.S)
    assert [name for name, _ in files] == ["agreement.yaml", "leads.csv", "events.jsonl"]
    for name, body in files:
        (tmp_path / name).write_text(body, encoding="utf-8")
    agreement, leads, events = (str(tmp_path / name) for name, _ in files)
    assert main(["lint", agreement]) == 0
    assert (
        main(
            [
                "evaluate",
                agreement,
                "--leads",
                leads,
                "--events",
                events,
                "--as-of",
                "2026-03-10T17:00:00Z",
                "--format",
                "table",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert re.search(r"L1\s+mql\s+60", out)
    assert re.search(r"L2\s+inquiry\s+0", out)
    assert (
        main(
            [
                "explain",
                agreement,
                "--leads",
                leads,
                "--events",
                events,
                "--as-of",
                "2026-03-10T17:00:00Z",
                "--lead",
                "L1",
            ]
        )
        == 0
    )
    assert "first-touch: met" in capsys.readouterr().out
    site = tmp_path / "site"
    assert (
        main(
            [
                "docs",
                agreement,
                "--site-dir",
                str(site),
                "--leads",
                leads,
                "--events",
                events,
                "--as-of",
                "2026-03-10T17:00:00Z",
            ]
        )
        == 0
    )
    assert "Shortfall of 5 leads a week" in (site / "campaigns.html").read_text(encoding="utf-8")


# --- the command line --------------------------------------------------------------------------


def test_docs_command_builds_and_says_where_to_open_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "out"
    assert main(["docs", str(EXAMPLE), "--site-dir", str(site)]) == 0
    out = capsys.readouterr().out
    assert (site / "index.html").as_uri() in out
    assert not (site / "evidence").exists()  # no records, no dashboards


def test_docs_reads_several_activity_exports_as_evaluate_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CRM gives activity in several exports (Task, LeadHistory): the site's dashboards read
    them all, as ``evaluate --events A B`` does, and show what one combined file shows."""
    lines = EVENTS.read_text(encoding="utf-8").splitlines(keepends=True)
    touches, others = tmp_path / "touches.jsonl", tmp_path / "others.jsonl"
    touches.write_text("".join(x for x in lines if '"touch"' in x), encoding="utf-8")
    others.write_text("".join(x for x in lines if '"touch"' not in x), encoding="utf-8")
    as_of = datetime(2026, 11, 16, 17, tzinfo=UTC)
    split = generate(EXAMPLE, records=Records(LEADS, (touches, others), as_of))
    whole = generate(EXAMPLE, records=Records(LEADS, (EVENTS,), as_of))
    assert split.pages["evidence/index.md"] == whole.pages["evidence/index.md"]
    assert "149" in split.pages["evidence/index.md"]
    site = tmp_path / "site"
    command = ["docs", str(EXAMPLE), "--site-dir", str(site), "--leads", str(LEADS)]
    assert main([*command, "--events", str(touches), str(others), "--as-of", AS_OF]) == 0
    assert "open file://" in capsys.readouterr().out
    assert "1,858 events" in (site / "evidence" / "index.html").read_text(encoding="utf-8")


def test_docs_reads_the_lead_files_evaluate_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Parquet leads (the columnar extra) make the same dashboards as the CSV they came from."""
    pyarrow_csv = pytest.importorskip("pyarrow.csv")
    parquet = pytest.importorskip("pyarrow.parquet")
    leads = tmp_path / "leads.parquet"
    parquet.write_table(pyarrow_csv.read_csv(LEADS), leads)
    site = tmp_path / "site"
    command = ["docs", str(EXAMPLE), "--site-dir", str(site), "--leads", str(leads)]
    assert main([*command, "--events", str(EVENTS), "--as-of", AS_OF]) == 0
    assert "open file://" in capsys.readouterr().out
    page = (site / "evidence" / "index.html").read_text(encoding="utf-8")
    assert "240 lead records (240 verdicts, 0 error rows)" in page


def test_docs_without_the_columnar_extra_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parquet leads without pyarrow: a message naming the extra, not an internal error."""

    def missing() -> object:
        raise _columnar.ColumnarUnavailableError("reading Parquet and Arrow needs pyarrow: ...")

    monkeypatch.setattr(_columnar, "_pyarrow", missing)
    leads = tmp_path / "leads.parquet"
    leads.write_bytes(b"PAR1")
    command = ["docs", str(EXAMPLE), "--site-dir", str(tmp_path / "s"), "--leads", str(leads)]
    assert main([*command, "--as-of", AS_OF]) == 2
    assert "reading Parquet and Arrow needs pyarrow" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--leads", str(LEADS)], "--leads needs --as-of"),
        (["--as-of", AS_OF], "--events and --as-of need --leads"),
        (["--leads", "nope.csv", "--as-of", AS_OF], "cannot read nope.csv: no such file"),
        (["--leads", str(EXAMPLE), "--as-of", AS_OF], "it is a folder"),
        (["--leads", str(EXAMPLE / "lead.yaml"), "--as-of", AS_OF], "expected a .csv"),
        (["--leads", str(LEADS), "--as-of", "yesterday"], "is not an ISO 8601 time"),
        (["--previous", "no-such-folder"], "cannot read no-such-folder"),
        (["--audit", "no-such.db"], "cannot read no-such.db: no such file"),
        (["--audit", str(LEADS), "--leads", str(LEADS), "--as-of", AS_OF], "not both"),
    ],
)
def test_docs_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code = main(["docs", str(EXAMPLE), "--site-dir", str(tmp_path / "s"), *extra])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_a_contract_with_errors_is_reported_not_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(EXAMPLE, broken, ignore=shutil.ignore_patterns("data"))
    slas = broken / "slas.yaml"
    slas.write_text(
        slas.read_text(encoding="utf-8").replace("calendar: us-east", "calendar: mars", 1),
        encoding="utf-8",
    )
    assert main(["docs", str(broken), "--site-dir", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert "slas.yaml:" in err
    assert "LC3" in err
    assert "fix them first" in err
    assert main(["docs", str(tmp_path / "missing"), "--site-dir", str(tmp_path / "s")]) == 2


# --- in a real browser, offline -----------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).is_file(), "install the Debian package chromium (requirements/system.txt)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("file", "data", "blob", "about") or parsed.hostname in (
        "localhost",
        "127.0.0.1",
    )


def test_the_example_site_renders_offline_in_chromium(
    example_site: Path, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    requested: list[str] = []

    def refuse_outside(route: Route) -> None:
        if _local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location})")

    def on_failed(request: Request) -> None:
        failed.append(f"{request.url}: {request.failure}")

    context.route("**/*", refuse_outside)
    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", on_failed)
    page.on("request", lambda request: requested.append(request.url))
    try:
        for name in PAGES:
            page.goto((example_site / name).as_uri(), wait_until="load")
            page.wait_for_load_state("networkidle")
            images = page.eval_on_selector_all(
                "img.lifecycle, img.chart",
                "els => els.map(e => [e.getAttribute('src'), e.complete, e.naturalWidth])",
            )
            if name == "lead.html":
                assert [src for src, _, _ in images] == ["images/lifecycle.svg"]
            if name.startswith("evidence/"):
                assert images, name
            for src, complete, width in images:
                assert complete, f"{name}: {src} did not load"
                assert width > 0, f"{name}: {src} did not render"
            shot = tmp_path / (name.replace("/", "_").removesuffix(".html") + ".png")
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        page.goto((example_site / "index.html").as_uri(), wait_until="load")
        assert "Northwind Analytics" in page.inner_text("h1")
    finally:
        context.close()
    assert blocked == []
    assert failed == []
    assert errors == []
    assert requested
    assert all(_local(url) for url in requested)


def test_on_a_phone_the_figures_stay_readable_and_scroll_sideways(
    example_site: Path, browser: Browser
) -> None:
    """At 375 px a chart scaled to the column would write its labels 4 px high. The figures
    keep at least 600 px (labels about 8 px and up) and their paragraph scrolls sideways; the
    page itself never scrolls sideways."""
    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    try:
        for name in ("lead.html", "evidence/index.html", "evidence/capacity.html"):
            page.goto((example_site / name).as_uri(), wait_until="load")
            figures = page.eval_on_selector_all(
                "img.lifecycle, img.chart",
                """els => els.map(e => [e.getAttribute('src'), e.getBoundingClientRect().width,
                    e.parentElement.scrollWidth > e.parentElement.clientWidth,
                    getComputedStyle(e.parentElement).overflowX])""",
            )
            assert figures, name
            for src, width, scrolls, overflow in figures:
                assert width >= 600, f"{name}: {src} is drawn {width:.0f} px wide"
                assert scrolls, f"{name}: {src} does not scroll in its paragraph"
                assert overflow == "auto", f"{name}: {src}"
            overhang = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overhang <= 0, f"{name} is {overhang} px wider than the phone"
    finally:
        context.close()


def test_serve_watches_the_contract_and_the_records() -> None:
    plugin = LeadContractPlugin()
    errors, _ = plugin.load_config(
        {"contract": str(EXAMPLE), "leads": str(LEADS), "events": str(EVENTS), "as_of": AS_OF}
    )
    assert errors == []

    class Server:
        def __init__(self) -> None:
            self.watched: list[str] = []

        def watch(self, path: str) -> None:
            self.watched.append(path)

    server = Server()
    plugin.on_serve(server, config=None, builder=None)  # type: ignore[arg-type]
    assert server.watched == [str(EXAMPLE), str(LEADS), str(EVENTS)]
