"""How a setting is declared: its group, variable, default, parser and meaning (:class:`Setting`).

``pipelines/settings.py`` declares every setting with :func:`setting`; the configuration reference
and :func:`pipelines.settings.load_settings` read these declarations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipelines.setting_values import Parser

#: The groups of the configuration reference, in order, each with one sentence saying what it covers.
GROUPS: dict[str, str] = {
    "Paths": "Where the pipeline keeps its files. Relative paths start at the project folder.",
    "Medical Examiner source": "Where the Cook County Medical Examiner case archive comes from, and how it is pulled.",
    "Geocoding": "Placing Chicago deaths that the archive gives only as a street address (off unless asked for).",
    "Region and publication": "Which places make up the region, and what public views may show.",
    "Data-quality and freshness checks": "Thresholds of the checks that judge each run and each source.",
    "Field data": "The task force's test-strip results, outreach logs and hot-spot lists.",
    "Hot spots and alerts": "The hexagon grid, the hot-spot statistics and when a spike alert is raised.",
    "E-mail and webhooks": "Where alerts, the weekly e-blast and failed-run notices are sent. All are off until set.",
    "Running unattended": "Schedules, retries and links for a server that runs the pipeline on its own.",
    "Memory": "How much memory a pipeline step may use before it works on disk.",
}


@dataclass(frozen=True)
class Setting:
    """One setting: how it is written in the environment, what it defaults to and what it means."""

    env: str
    #: The default as one would write it in the environment; ``None``: unset (see ``default_text``).
    default: str | None
    parse: Parser
    group: str
    help: str
    #: Kept out of ``repr`` and logs, and marked in the reference.
    secret: bool = False
    #: How the reference shows a default that is not a plain value (unset, or derived).
    default_text: str | None = None
    #: Computes the default from the other settings (already read) when the variable is unset.
    derive: Callable[[Mapping[str, object]], object] | None = None
    #: The ``Settings`` attribute (filled in from the dataclass field).
    name: str = ""

    def value(self, text: str | None, others: Mapping[str, object]) -> object:
        """The value for ``text`` (``None`` or blank: the default), with the variable named in any error."""
        if text is None or not text.strip():
            if self.derive is not None:
                return self.derive(others)
            if self.default is None:
                return None
            text = self.default
        try:
            return self.parse(self.env, text)
        except ValueError as error:
            if not self.secret:
                if self.env in str(error):
                    raise
                raise ValueError(f"{self.env}: {error}") from error
        # A refused secret: the parser's message quotes the value, and error messages reach run logs,
        # so this one is raised outside the handler (nothing chained) and names the variable only.
        raise ValueError(f"{self.env} must be {self.parse.accepts} (the value is secret, not shown)")


def setting(
    env: str,
    default: str | None,
    parse: Parser,
    group: str,
    help: str,
    *,
    secret: bool = False,
    default_text: str | None = None,
    derive: Callable[[Mapping[str, object]], object] | None = None,
) -> dataclasses.Field:
    """A ``Settings`` field declared by its :class:`Setting` (secrets are left out of ``repr``)."""
    if group not in GROUPS:
        raise ValueError(f"{env}: unknown group {group!r}")
    spec = Setting(env, default, parse, group, help.strip(), secret, default_text, derive)
    return dataclasses.field(repr=not secret, metadata={"setting": spec})
