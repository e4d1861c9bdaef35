"""Where readers of the e-blast (and the pack's last slide) can get help — the one place to edit.

Each entry is shown with its label, a short description and the link; phone numbers are part of
the description so they survive in the plain-text version. Review this list when programs change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    """One help resource."""

    topic: str
    label: str
    url: str
    description: str


RESOURCES: tuple[Resource, ...] = (
    Resource(
        "Naloxone",
        "Chicago Recovery Alliance",
        "https://anypositivechange.org",
        "Free naloxone (Narcan) and training on Chicago's West Side and by mail.",
    ),
    Resource(
        "Naloxone and test strips by mail",
        "NEXT Distro Illinois",
        "https://nextdistro.org/illinois",
        "Free naloxone and fentanyl test strips mailed to Illinois residents.",
    ),
    Resource(
        "Treatment",
        "Illinois Helpline for Opioids & Other Substances",
        "https://helplineil.org",
        "Treatment and recovery services near you; call or text 833-2FINDHELP (833-234-6343), 24/7.",
    ),
    Resource(
        "Treatment locator",
        "FindTreatment.gov",
        "https://findtreatment.gov",
        "SAMHSA's locator of licensed treatment programs, including buprenorphine and methadone.",
    ),
    Resource(
        "Crisis",
        "988 Suicide & Crisis Lifeline",
        "https://988lifeline.org",
        "Call or text 988 any time for mental-health or substance-use crisis support.",
    ),
)
