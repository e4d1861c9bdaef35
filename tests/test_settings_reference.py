"""The settings declarations are complete, the generated reference shows all of them, and nothing
reads configuration except through them."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import re
import types
import typing
from datetime import date
from pathlib import Path

import pytest

from dashboards.components.access import SECRETS_REFERENCE, config_from_secrets
from pipelines import settings_reference
from pipelines.settings import GROUPS, PROJECT_ROOT, SETTINGS, Settings, load_settings
from pipelines.setting_values import ITEMS, MUNICIPALITIES, PATH, SECRET, TEXT
from pipelines.settings_reference import BEGIN, END, MARKER, reference_markdown, refreshed

#: Variables named by the tools that own them, not by this project.
OWN_NAMES_OF_OTHER_TOOLS = {"SOCRATA_APP_TOKEN": "Socrata", "SMTP_PASSWORD": "SMTP", "DAGSTER_HOME": "Dagster"}
SECRETS = {"SOCRATA_APP_TOKEN", "SMTP_PASSWORD", "ODW_ALERT_WEBHOOK_URL", "ODW_FAILURE_WEBHOOK_URL"}
HOOK = PROJECT_ROOT / "docs" / "hooks" / "settings_reference.py"
CONFIGURATION_PAGE = PROJECT_ROOT / "docs" / "configuration.md"

BY_ENV = {spec.env: spec for spec in SETTINGS}
#: Parsers that take any text (every other one refuses some).
FREE_TEXT = (TEXT, SECRET, ITEMS, MUNICIPALITIES, PATH)


# ------------------------------------------------------------------------------- the declarations


def test_every_settings_field_is_declared_once_with_group_help_and_a_project_name() -> None:
    assert [s.name for s in SETTINGS] == [f.name for f in dataclasses.fields(Settings)]
    assert len(BY_ENV) == len(SETTINGS), "two settings read the same variable"
    for spec in SETTINGS:
        assert spec.group in GROUPS, spec.env
        assert len(spec.help) >= 20 and spec.help.endswith("."), f"{spec.env} needs a description"
        assert spec.parse.accepts, spec.env
        assert re.fullmatch(r"ODW_[A-Z0-9_]+", spec.env) or spec.env in OWN_NAMES_OF_OTHER_TOOLS, spec.env
    for env in OWN_NAMES_OF_OTHER_TOOLS:
        assert "own name" in BY_ENV[env].help or env in SECRETS, f"{env}: say why it has no ODW_ prefix"
    assert all(any(s.group == group for s in SETTINGS) for group in GROUPS), "a group without settings"


def _conforms(value: object, hint: object) -> bool:
    """Whether ``value`` has the annotated type (unions, ``tuple[X, ...]``, plain classes)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is tuple:
        item, ellipsis = typing.get_args(hint)[0], typing.get_args(hint)[1:]
        if ellipsis == (Ellipsis,):
            return isinstance(value, tuple) and all(_conforms(v, item) for v in value)
        args = typing.get_args(hint)
        return isinstance(value, tuple) and len(value) == len(args) and all(map(_conforms, value, args))
    if hint is float:
        return isinstance(value, float)
    return isinstance(value, hint)


def test_an_empty_environment_gives_the_documented_defaults_with_the_declared_types() -> None:
    loaded = load_settings({})
    hints = typing.get_type_hints(Settings)
    for spec in SETTINGS:
        value = getattr(loaded, spec.name)
        assert _conforms(value, hints[spec.name]), (spec.env, value, hints[spec.name])
        if spec.derive is not None:
            assert spec.default is None and spec.default_text, f"{spec.env}: describe the derived default"
        elif spec.default is None:
            assert value is None, spec.env
        else:
            assert spec.parse(spec.env, spec.default) == value, spec.env
            row = _rows(reference_markdown())[spec.env]
            assert (f"`{spec.default}`" if spec.default else "—") in row, spec.env
    # Known answers of the two derived defaults, and that setting the source moves them.
    assert loaded.app_db == PROJECT_ROOT / "data" / "app.duckdb"
    moved = load_settings({"ODW_WAREHOUSE": "/srv/watch/w.duckdb", "ODW_SMTP_TO": "a@example.org, b@example.org"})
    assert moved.app_db == Path("/srv/watch/app.duckdb")
    assert moved.eblast_to == ("a@example.org", "b@example.org")
    assert load_settings({"ODW_SMTP_TO": "a@example.org", "ODW_EBLAST_TO": "c@example.org"}).eblast_to == (
        "c@example.org",
    )


def test_a_blank_variable_counts_as_unset() -> None:
    blank = load_settings({spec.env: "  " for spec in SETTINGS})
    assert blank == load_settings({})


@pytest.mark.parametrize("spec", [s for s in SETTINGS if s.parse not in FREE_TEXT], ids=lambda s: s.env)
def test_a_value_a_setting_does_not_accept_is_refused_naming_the_variable(spec) -> None:
    with pytest.raises(ValueError, match=re.escape(spec.env)):
        load_settings({spec.env: "not a valid value!"})


def test_secrets_are_declared_kept_out_of_repr_and_marked_in_the_reference() -> None:
    assert {s.env for s in SETTINGS if s.secret} == SECRETS
    environment = {
        "SOCRATA_APP_TOKEN": "tok-SECRET-1",
        "SMTP_PASSWORD": " pw-SECRET-2 ",
        "ODW_ALERT_WEBHOOK_URL": "https://hooks.example.org/SECRET-3",
        "ODW_FAILURE_WEBHOOK_URL": "https://hooks.example.org/SECRET-4",
    }
    loaded = load_settings(environment)
    assert loaded.smtp_password == " pw-SECRET-2 ", "a password is taken exactly as given"
    assert "SECRET" not in repr(loaded) and "SECRET" not in str(loaded)
    rows = _rows(reference_markdown())
    assert {env for env, row in rows.items() if "(**secret**)" in row} == SECRETS
    # A bad secret is refused without being quoted (error messages end up in run logs).
    with pytest.raises(ValueError, match="ODW_ALERT_WEBHOOK_URL must be an `http://`") as refused:
        load_settings({"ODW_ALERT_WEBHOOK_URL": "hooks.example.org/SECRET-5"})
    assert "SECRET" not in str(refused.value) and refused.value.__context__ is None


# ------------------------------------------------------------------------------- the reference


def _rows(markdown: str) -> dict[str, str]:
    """Table rows of the reference by variable."""
    rows = {}
    for line in markdown.splitlines():
        match = re.match(r"\| `([A-Z0-9_]+)`", line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} listed twice"
            rows[match.group(1)] = line
    return rows


def test_the_reference_lists_every_setting_under_its_group_heading() -> None:
    markdown = reference_markdown(heading_level=3)
    assert set(_rows(markdown)) == set(BY_ENV)
    headings = re.findall(r"^### (.+)$", markdown, re.M)
    assert headings[: len(GROUPS)] == list(GROUPS)
    for group, next_heading in zip(GROUPS, headings[1:]):
        section = markdown.split(f"### {group}\n", 1)[1].split(f"### {next_heading}\n", 1)[0]
        assert set(_rows(section)) == {s.env for s in SETTINGS if s.group == group}
    for spec in SETTINGS:
        row = _rows(markdown)[spec.env]
        assert row.count(" | ") == 3 and spec.help in row.replace("\\|", "|"), spec.env


def test_the_reference_lists_the_member_secrets_the_dashboard_reads() -> None:
    """Every key ``config_from_secrets`` reads is declared, and the declarations are rendered."""
    source = Path(config_from_secrets.__code__.co_filename).read_text(encoding="utf-8")
    function = next(
        n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == "config_from_secrets"
    )
    read = set()
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            read.add((node.func.value.id, node.args[0].value))
    sections = {key for receiver, key in read if receiver == "secrets"}
    keys = {(receiver, key) for receiver, key in read if receiver != "secrets"}
    assert sections == {"members", "auth"}
    declared = {(section, key) for section, key, _, _ in SECRETS_REFERENCE}
    assert keys and keys <= declared, keys - declared
    markdown = reference_markdown()
    for section, key, meaning, secret in SECRETS_REFERENCE:
        assert f"| `[{section}] {key}`{' (**secret**)' if secret else ''} | {meaning} |" in markdown


def test_the_docs_site_renders_the_reference_and_no_document_keeps_a_stale_copy() -> None:
    """The Configuration page is where the reference lives: its marker, filled in by the hook that
    ``mkdocs.yml`` registers (tests/test_docs.py builds the site and finds every variable on the
    page). A document that keeps a generated copy (none does now) must hold the current one."""
    assert CONFIGURATION_PAGE.read_text(encoding="utf-8").count(MARKER) == 1
    mkdocs_yml = (PROJECT_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert f"- {HOOK.relative_to(PROJECT_ROOT)}" in mkdocs_yml, "register the hook under hooks: in mkdocs.yml"
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/configuration.md" in readme, "the README links to the Configuration page"
    for path in [PROJECT_ROOT / "README.md", *(PROJECT_ROOT / "docs").rglob("*.md")]:
        text = path.read_text(encoding="utf-8")
        if BEGIN in text:
            assert refreshed(text) == text, (
                f"the configuration reference in {path.relative_to(PROJECT_ROOT)} is stale: run "
                f".venv/bin/python -m pipelines.settings_reference --write {path.relative_to(PROJECT_ROOT)}"
            )


def test_the_cli_prints_the_reference_and_refreshes_a_stale_document(tmp_path, capsys) -> None:
    assert settings_reference.main([]) == 0
    assert capsys.readouterr().out == reference_markdown(2)
    doc = tmp_path / "manual.md"
    doc.write_text(f"# Manual\n\n## Configuration\n\n{BEGIN}\n| `ODW_GONE` | old |\n{END}\n\n## Next\n", encoding="utf-8")
    assert settings_reference.main(["--write", str(doc)]) == 0
    text = doc.read_text(encoding="utf-8")
    assert "ODW_GONE" not in text and text.endswith(f"{END}\n\n## Next\n")
    assert f"{BEGIN}\n{reference_markdown(3)}{END}" in text, "groups one level below their section"
    assert settings_reference.update_doc(doc) is False


def test_every_odw_variable_the_docs_and_code_mention_exists() -> None:
    """Prose and messages cannot name a variable that was renamed or removed."""
    places = [PROJECT_ROOT / "README.md", PROJECT_ROOT / "Makefile", PROJECT_ROOT / "mkdocs.yml"]
    for folder, pattern in (("docs", "*.md"), ("pipelines", "*.py"), ("dashboards", "*.py"), ("deploy", "*"),
                            ("bench", "*.py"), ("tests", "*.py")):
        places += [p for p in (PROJECT_ROOT / folder).rglob(pattern) if p.is_file() and "__pycache__" not in p.parts]
    unknown = set()
    for path in places:
        for name in re.findall(r"\bODW_[A-Z0-9_]*[A-Z0-9*]", path.read_text(encoding="utf-8", errors="replace")):
            prefix = name.rstrip("*")
            if name.endswith("*") and any(env.startswith(prefix) for env in BY_ENV):
                continue
            if name not in BY_ENV and name != "ODW_GONE":
                unknown.add((str(path.relative_to(PROJECT_ROOT)), name))
    assert not unknown


# ------------------------------------------------------------------------------- the MkDocs hook


def _load_hook():
    """The hook module loaded from its file, as MkDocs loads ``hooks:`` entries."""
    spec = importlib.util.spec_from_file_location("settings_reference_hook", HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_mkdocs_hook_turns_the_marker_into_the_tables() -> None:
    hook = _load_hook()
    page = CONFIGURATION_PAGE.read_text(encoding="utf-8")
    assert page.count(MARKER) == 1
    rendered = hook.on_page_markdown(page, page=None, config=None, files=None)
    assert MARKER not in rendered
    assert rendered == page.replace(MARKER, reference_markdown(2).rstrip("\n"))
    assert set(_rows(rendered)) == set(BY_ENV)
    assert re.findall(r"^## (.+)$", rendered, re.M)[: len(GROUPS)] == list(GROUPS)
    other = "# Methods\n\nNo reference here.\n"
    assert hook.on_page_markdown(other, page=None, config=None, files=None) == other


# ------------------------------------------------------------------------------- one reader


#: Code outside ``pipelines/settings.py`` that may touch the process environment, with the reason.
ENVIRONMENT_EXCEPTIONS = {
    # Sets DAGSTER_HOME (from the settings) while Dagster loads its instance, whose dagster.yaml
    # reads that variable itself; it reads the old value only to restore it.
    ("dashboards/components/check_results.py", "_dagster_home_env"),
}
#: Code that may read Streamlit secrets (the member-access configuration, documented above).
STREAMLIT_SECRETS_READERS = {("dashboards/components/access.py", "load_config")}


def _uses(attribute_names: set[str], module_names: set[str], *, bare: bool = True) -> set[tuple[str, str, str]]:
    """``(file, innermost enclosing function, what)`` for every use of those attributes (and, with
    ``bare``, names) or modules in the app code."""

    def visit(node: ast.AST, relative: str, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Attribute) and node.attr in attribute_names:
            found.add((relative, function, node.attr))
        elif bare and isinstance(node, ast.Name) and node.id in attribute_names:
            found.add((relative, function, node.id))
        elif isinstance(node, ast.ImportFrom) and (
            node.module in module_names or any(a.name in attribute_names for a in node.names)
        ):
            found.add((relative, function, f"from {node.module} import"))
        elif isinstance(node, ast.Import) and any(a.name.split(".")[0] in module_names for a in node.names):
            found.add((relative, function, "import"))
        for child in ast.iter_child_nodes(node):
            visit(child, relative, function)

    found: set[tuple[str, str, str]] = set()
    for folder in ("pipelines", "dashboards"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = str(path.relative_to(PROJECT_ROOT))
            visit(ast.parse(path.read_text(encoding="utf-8")), relative, "<module>")
    return found


def test_only_the_settings_module_reads_the_environment() -> None:
    found = _uses({"environ", "environb", "getenv", "putenv", "unsetenv"}, {"dotenv"})
    outside = {(path, function) for path, function, _ in found if path != "pipelines/settings.py"}
    assert outside == ENVIRONMENT_EXCEPTIONS
    assert {what for path, _, what in found if path == "pipelines/settings.py"} >= {"environ", "from dotenv import"}


def test_only_member_access_reads_streamlit_secrets() -> None:
    found = {(path, function) for path, function, _ in _uses({"secrets"}, set(), bare=False)}
    assert found == STREAMLIT_SECRETS_READERS


def test_months_and_flags_are_read_strictly() -> None:
    assert load_settings({"ODW_DEMO_END_MONTH": "2026-10"}).demo_end_month == date(2026, 10, 1)
    assert load_settings({"ODW_EBLAST_SEND": "Yes", "ODW_SMTP_STARTTLS": "off"}).eblast_send is True
    with pytest.raises(ValueError, match="ODW_SMTP_STARTTLS must be true or false, got 'flase'"):
        load_settings({"ODW_SMTP_STARTTLS": "flase"})
    with pytest.raises(ValueError, match="ODW_DEMO_END_MONTH must be a month written YYYY-MM"):
        load_settings({"ODW_DEMO_END_MONTH": "2026-13"})
