"""The manual builds cleanly, the README stays a front door, and every link of both resolves.

The site is built once per session exactly as ``make docs-build`` builds it (``mkdocs build
--strict``), so a broken link or anchor, a page missing from the navigation, or a hook that fails
breaks the test suite; then the built pages are read for what the hooks must have put there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from PIL import Image

from pipelines.checks_reference import MARKER as CHECKS_MARKER
from pipelines.settings import PROJECT_ROOT, SETTINGS
from pipelines.settings_reference import MARKER as SETTINGS_MARKER
from tests.dashboards.browser_support import DOCS_SCREENSHOTS, DOCS_SCREENSHOTS_DIR, DOCS_VIEWPORT

DOCS = PROJECT_ROOT / "docs"
README = PROJECT_ROOT / "README.md"
#: Three screens of a laptop terminal or a GitHub page: the README is the front door, not the manual.
README_MAX_LINES = 200
#: A Markdown link or image: ``[text](target)`` / ``![alt](target "title")``.
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def _pages() -> list[Path]:
    """Every Markdown page of the manual (the hooks folder holds code, not pages)."""
    return sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.relative_to(DOCS).parts)


def _prose(markdown: str) -> str:
    """``markdown`` without fenced code blocks and inline code, where a bracket is not a link."""
    without_fences = re.sub(r"^(```|~~~).*?^\1\s*$", "", markdown, flags=re.M | re.S)
    return re.sub(r"`[^`\n]+`", "", without_fences)


def _links(path: Path) -> list[str]:
    return LINK.findall(_prose(path.read_text(encoding="utf-8")))


def _built_page(site: Path, page: Path) -> Path:
    """The HTML file MkDocs writes for a page (``docs/a/b.md`` → ``site/a/b/index.html``)."""
    relative = page.relative_to(DOCS).with_suffix("")
    if relative.name == "index":
        return site / relative.parent / "index.html"
    return site / relative / "index.html"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The manual built with ``mkdocs build --strict`` into a temporary folder; (site, log)."""
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=PROJECT_ROOT,
        # Material's notice about its end of life (docs/development.md) is not a build problem.
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{log[-6000:]}"
    return site, log


def test_the_manual_builds_strictly_with_no_warning(built_site: tuple[Path, str]) -> None:
    site, log = built_site
    warnings = [line for line in log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not warnings, warnings
    for page in _pages():
        assert _built_page(site, page).is_file(), f"{page.relative_to(PROJECT_ROOT)} was not built"


def test_a_broken_anchor_fails_the_strict_build(tmp_path: Path) -> None:
    """The strict build is a real gate: the same configuration refuses a link to a missing anchor."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\nSee [the rule](rule.md#no-such-heading).\n", encoding="utf-8")
    (docs / "rule.md").write_text("# Rule\n\n## A heading\n\nText.\n", encoding="utf-8")
    (docs / "stray.md").write_text("# Not in the navigation\n", encoding="utf-8")
    config = (PROJECT_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = config[: config.index("\nhooks:")] + config[config.index("\nplugins:") :]
    config = config[: config.index("\nnav:")] + "\nnav:\n  - Home: index.md\n  - Rule: rule.md\n"
    (tmp_path / "mkdocs.yml").write_text(config, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=tmp_path, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "no-such-heading" in log and "stray.md" in log, log[-3000:]


def test_the_configuration_page_shows_every_setting(built_site: tuple[Path, str]) -> None:
    site, _ = built_site
    html = _built_page(site, DOCS / "configuration.md").read_text(encoding="utf-8")
    assert SETTINGS_MARKER not in html
    missing = [spec.env for spec in SETTINGS if f"<code>{spec.env}</code>" not in html]
    assert not missing, f"the Configuration page lacks {missing}"


def test_the_checks_page_lists_every_check_of_the_code_location(built_site: tuple[Path, str]) -> None:
    site, _ = built_site
    html = _built_page(site, DOCS / "methods" / "data-quality-checks.md").read_text(encoding="utf-8")
    assert CHECKS_MARKER not in html
    # The code location as dg and the tests load it, not the hook's own catalogue.
    from pipelines.definitions import defs

    graph = defs().resolve_asset_graph()
    expected = sorted((key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys)
    assert len(expected) >= 20
    rows = re.findall(r"<tr>\s*<td><code>([^<]+)</code></td>\s*<td><code>([^<]+)</code></td>", html)
    assert sorted(rows) == expected, "the generated table differs from the checks the definitions hold"


def test_the_benchmark_results_page_is_bench_results_md(built_site: tuple[Path, str]) -> None:
    site, _ = built_site
    html = _built_page(site, DOCS / "bench-results.md").read_text(encoding="utf-8")
    results = (PROJECT_ROOT / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    for heading in re.findall(r"^## (.+)$", results, re.M):
        assert heading.replace("&", "&amp;") in html, heading


def test_the_readme_fits_on_three_screens() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"the README has {len(lines)} lines; move the detail to docs/"
    text = "\n".join(lines)
    # What a newcomer needs from it: the two commands, live data, and the way into the manual.
    for needed in ("make demo", "make test", "ODW_ME_SOURCE=live", "docs/getting-started.md", "docs/methods/index.md"):
        assert needed in text, needed


def _check_link(source: Path, target: str, site: Path) -> str | None:
    """Why the link ``target`` of ``source`` does not resolve, or None when it does."""
    parsed = urlparse(target)
    if parsed.scheme in {"http", "https", "mailto"}:
        return None
    if parsed.scheme or target.startswith("/"):
        return "absolute links break on GitHub and in the built site: use a relative path"
    path = (source.parent / unquote(parsed.path)).resolve() if parsed.path else source.resolve()
    if not path.exists():
        return f"{path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path} does not exist"
    if parsed.fragment:
        if path.suffix != ".md" or not path.is_relative_to(DOCS):
            return "an anchor only in a page of the manual can be checked"
        html = _built_page(site, path).read_text(encoding="utf-8")
        if f'id="{parsed.fragment}"' not in html:
            return f"no heading #{parsed.fragment} in {path.relative_to(PROJECT_ROOT)}"
    return None


def test_every_relative_link_of_the_readme_and_the_manual_resolves(built_site: tuple[Path, str]) -> None:
    site, _ = built_site
    broken = []
    checked = 0
    for source in [README, *_pages()]:
        for target in _links(source):
            checked += 1
            problem = _check_link(source, target, site)
            if problem:
                broken.append(f"{source.relative_to(PROJECT_ROOT)}: ({target}) — {problem}")
    assert checked > 150
    assert not broken, "\n".join(broken)


def test_docs_screenshots_are_the_declared_set_at_1280x720() -> None:
    on_disk = {p.stem for p in DOCS_SCREENSHOTS_DIR.glob("*")}
    assert on_disk == set(DOCS_SCREENSHOTS), (
        "docs/assets/screenshots/ must hold exactly DOCS_SCREENSHOTS "
        "(run .venv/bin/python -m pytest -m browser tests/dashboards to take them)"
    )
    for name in DOCS_SCREENSHOTS:
        path = DOCS_SCREENSHOTS_DIR / f"{name}.png"
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size == (DOCS_VIEWPORT["width"], DOCS_VIEWPORT["height"]), name
        assert path.stat().st_size < 150_000, f"{name}.png is {path.stat().st_size:,} bytes"


def test_every_screenshot_is_shown_and_the_readme_shows_one_of_the_set() -> None:
    shown = {
        Path(urlparse(target).path).stem
        for page in _pages()
        for target in _links(page)
        if "assets/screenshots/" in target
    }
    assert shown == set(DOCS_SCREENSHOTS), set(DOCS_SCREENSHOTS) ^ shown
    readme_images = [t for t in _links(README) if t.endswith(".png")]
    assert readme_images == ["docs/assets/screenshots/overview.png"], readme_images


def test_no_page_or_picture_of_the_manual_is_git_ignored() -> None:
    """A page that git ignores would build here and be missing from every clone."""
    if shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    paths = [str(p.relative_to(PROJECT_ROOT)) for p in [*_pages(), *DOCS_SCREENSHOTS_DIR.glob("*.png")]]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 1 and not result.stdout, f"git ignores: {result.stdout}"
