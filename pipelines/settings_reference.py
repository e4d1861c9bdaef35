"""The configuration reference (Markdown), generated from the settings declarations.

One table per group of :data:`pipelines.settings.GROUPS`: variable, default, what it accepts and
what it means, secrets marked; then the dashboard's member-access secrets, which Streamlit reads
from ``.streamlit/secrets.toml`` (declared in ``dashboards/components/access.py``). Nothing here
is written by hand, so the reference cannot drift from the code.

Used three ways: ``python -m pipelines.settings_reference`` prints it (``--write DOC``
refreshes the generated block of a document that keeps a copy); the MkDocs hook ``docs/hooks/settings_reference.py``
replaces :data:`MARKER` in a page with it; the tests compare documents against it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from pipelines.settings import GROUPS, SETTINGS, Setting

#: Where a docs page wants the reference (replaced by the MkDocs hook).
MARKER = "<!-- settings-reference -->"
#: The generated block of a document that keeps a copy (none in the repository: the docs site
#: renders the reference through its hook, and the README links to that page).
BEGIN = "<!-- BEGIN generated configuration reference (python -m pipelines.settings_reference) -->"
END = "<!-- END generated configuration reference -->"

_INTRO = (
    "Every setting is an environment variable (or a line of a `.env` file in the project folder; the "
    "environment wins). A variable that is unset or blank takes its default; a value the setting does "
    "not accept stops the run with a message naming the variable. Settings marked **secret** are never "
    "logged or shown: keep them in the environment or the git-ignored `.env`."
)
_MEMBERS_TITLE = "Dashboard members (Streamlit secrets)"
_MEMBERS_INTRO = (
    "Member mode of the dashboard is configured in `.streamlit/secrets.toml` (git-ignored; start from "
    "`.streamlit/secrets.toml.example`), not in the environment. Without it the dashboard is public only."
)
_NOT_HERE = (
    "Not listed here: Streamlit's own options (`.streamlit/config.toml`, `STREAMLIT_*` variables) and "
    "the Dagster instance (`deploy/dagster.yaml`, copied into `DAGSTER_HOME`), which those tools document."
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def default_shown(spec: Setting) -> str:
    """The default as the reference shows it: the value as written, a description, or a dash."""
    if spec.default_text:
        return spec.default_text
    if spec.default:
        return f"`{spec.default}`"
    return "—"


def _variable(name: str, secret: bool) -> str:
    return f"`{name}` (**secret**)" if secret else f"`{name}`"


def reference_markdown(heading_level: int = 2) -> str:
    """The whole reference; groups are headings of ``heading_level`` (2 on a page of its own)."""
    hashes = "#" * heading_level
    out = [_INTRO, ""]
    for group, intro in GROUPS.items():
        out += [f"{hashes} {group}", "", intro, ""]
        out += ["| variable | default | accepts | meaning |", "|---|---|---|---|"]
        for spec in (s for s in SETTINGS if s.group == group):
            out.append(
                f"| {_variable(spec.env, spec.secret)} | {_cell(default_shown(spec))} | "
                f"{_cell(spec.parse.accepts)} | {_cell(spec.help)} |"
            )
        out.append("")
    out += [f"{hashes} {_MEMBERS_TITLE}", "", _MEMBERS_INTRO, ""]
    out += ["| key | meaning |", "|---|---|"]
    for section, key, meaning, secret in _member_secrets():
        out.append(f"| {_variable(f'[{section}] {key}', secret)} | {_cell(meaning)} |")
    out += ["", _NOT_HERE]
    return "\n".join(out) + "\n"


def _member_secrets() -> tuple[tuple[str, str, str, bool], ...]:
    # Imported here: the dashboard module imports Streamlit, which the pipeline itself never needs.
    from dashboards.components.access import SECRETS_REFERENCE

    return SECRETS_REFERENCE


def expand_marker(markdown: str, heading_level: int = 2) -> str:
    """``markdown`` with every :data:`MARKER` replaced by the reference (unchanged without one)."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, reference_markdown(heading_level).rstrip("\n"))


def generated_block(text: str) -> str | None:
    """The generated block of a document (between :data:`BEGIN` and :data:`END`), or ``None``."""
    match = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), text, re.S)
    return match.group(1) if match else None


def refreshed(text: str) -> str:
    """``text`` with its generated block replaced by the current reference.

    The groups become headings one level below the heading the block sits under (``###`` under
    a ``## Configuration``).
    """
    begin = text.find(BEGIN)
    if begin < 0 or generated_block(text) is None:
        raise ValueError(f"the document has no generated block ({BEGIN} … {END})")
    headings = re.findall(r"^(#+) ", text[:begin], re.M)
    level = len(headings[-1]) + 1 if headings else 2
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: f"{BEGIN}\n{reference_markdown(level)}{END}", text, count=1)


def update_doc(path: Path) -> bool:
    """Refresh the generated block of ``path``; True when it changed."""
    text = path.read_text(encoding="utf-8")
    new = refreshed(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the reference, or refresh it in a document with ``--write``."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.settings_reference", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--heading-level", type=int, default=2, help="Markdown level of the group headings")
    parser.add_argument("--write", type=Path, metavar="DOC",
                        help="refresh the generated block of DOC instead (headings one level below its section)")
    args = parser.parse_args(argv)
    if args.write:
        changed = update_doc(args.write)
        print(f"{'updated' if changed else 'unchanged'}: {args.write}", file=sys.stderr)
    else:
        sys.stdout.write(reference_markdown(args.heading_level))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
