"""Refused field-data files leave the raw folders, and are deleted after a few days.

A file refused for personal data (or for any other reason) must not stay in ``ODW_RAW_DIR`` —
the record of what came in, kept for good. The run that refuses a file moves it to
``ODW_REFUSED_DIR/<source>/`` (a folder only the pipeline's user can open: 0700, the file 0600),
where the data manager can look at it with the person who sent it; after
``ODW_REFUSED_RETENTION_DAYS`` it is deleted, by the next run or sensor tick. Until then later runs
still list it, refused, under its name (:func:`kept_refused`), so running again changes nothing;
a file of the same name sent again takes its place. The ingest log keeps
the file's name, checksum, time and the refusal's reason (which names columns and rows, never a
value).

A file is moved with ``os.replace`` when the refused folder is on the same file system (nothing is
copied), otherwise copied there and then deleted from the raw folder.
"""

from __future__ import annotations

import os
import shutil
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipelines.settings import Settings

_DIR_MODE = 0o700
_FILE_MODE = 0o600


def _epoch(when: datetime) -> float:
    # The pipeline's times are naive UTC.
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=_DIR_MODE)
    os.chmod(path, _DIR_MODE)
    return path


def refused_name(source: str, name: str, now: datetime) -> str:
    """The name a refused file is kept under: its time of refusal and its name in the source folder
    (subfolders joined with ``--``), so two refusals of one name never collide."""
    return f"{now.strftime('%Y%m%dT%H%M%S')}__{name.replace('/', '--')}"


def kept_refused(settings: Settings, source: str) -> list[tuple[str, Path]]:
    """``(name in the source folder, path)`` of the refused files kept for ``source``, the newest
    copy of each name only (the inverse of :func:`refused_name`)."""
    folder = settings.refused_dir / source
    if not folder.is_dir():
        return []
    newest: dict[str, Path] = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        _stamp, separator, name = path.name.partition("__")
        if separator and name:
            newest[name.replace("--", "/")] = path  # sorted by time of refusal: the last wins
    return sorted(newest.items())


def move_refused(settings: Settings, source: str, name: str, path: Path, now: datetime) -> Path:
    """Move a refused file out of ``ODW_RAW_DIR`` into the private refused folder; return its new path."""
    folder = _private_dir(settings.refused_dir)
    target = _private_dir(folder / source) / refused_name(source, name, now)
    try:
        os.replace(path, target)
    except OSError:
        shutil.copyfile(path, target)
        path.unlink()
    os.chmod(target, _FILE_MODE)
    # The retention runs from the refusal, not from the file's own modification time.
    stamp = _epoch(now)
    os.utime(target, (stamp, stamp))
    return target


def purge_refused(settings: Settings, now: datetime) -> list[Path]:
    """Delete the refused files older than ``ODW_REFUSED_RETENTION_DAYS``; return what was deleted."""
    folder = settings.refused_dir
    if not folder.is_dir():
        return []
    cutoff = _epoch(now - timedelta(days=settings.refused_retention_days))
    deleted = []
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        if stat.S_ISREG(info.st_mode) and info.st_mtime <= cutoff:
            path.unlink()
            deleted.append(path)
    return deleted
