"""Every Python module of the project, code and tests, stays at or under 500 lines.

A module over that has more than one job: split it by responsibility (issue #17), not by line
count. The modules are git's tracked and new, not ignored, ``*.py`` files; without a git checkout
(an unpacked archive) every ``*.py`` file outside hidden and virtual-environment folders.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pipelines.settings import PROJECT_ROOT

MAX_LINES = 500


def project_python_files(root: Path) -> list[Path]:
    """The project's ``*.py`` files under ``root``: git's tracked and untracked-but-not-ignored
    files in a checkout, else every one outside hidden folders (``.venv``, ``.tools``, ``.git``)."""
    if (root / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "*.py"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return sorted(root / name for name in listed.split("\0") if name and (root / name).is_file())
    return sorted(
        path for path in root.rglob("*.py")
        if not any(part.startswith(".") for part in path.relative_to(root).parts)
    )  # fmt: skip


def line_count(path: Path) -> int:
    """Lines as ``wc -l`` counts them (a last line without a newline counts too)."""
    return len(path.read_text(encoding="utf-8").splitlines())


def oversized(paths: list[Path], root: Path, limit: int = MAX_LINES) -> list[str]:
    """``"path: lines"`` for each file over ``limit`` lines."""
    return [f"{path.relative_to(root)}: {n}" for path in paths if (n := line_count(path)) > limit]


def test_no_module_is_over_500_lines() -> None:
    files = project_python_files(PROJECT_ROOT)
    assert any(path.name == "app.py" for path in files)  # the listing found the project
    assert oversized(files, PROJECT_ROOT) == [], f"split these by responsibility (at most {MAX_LINES} lines)"


def test_the_size_check_finds_a_long_module(tmp_path: Path) -> None:
    """The check itself works: 500 lines pass, 501 fail, in a checkout and outside one."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "fine.py").write_text("x = 1\n" * MAX_LINES)
    (tmp_path / "pkg" / "long.py").write_text("x = 1\n" * MAX_LINES + "y = 2")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "vendored.py").write_text("x = 1\n" * 900)
    assert oversized(project_python_files(tmp_path), tmp_path) == [f"{Path('pkg', 'long.py')}: 501"]
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text(".venv/\n")
    assert oversized(project_python_files(tmp_path), tmp_path) == [f"{Path('pkg', 'long.py')}: 501"]
