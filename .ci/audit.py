"""Audit the locked dependencies with pip-audit; fail on any known vulnerability.

pip-audit looks each pinned version up in an advisory service (PyPI's JSON API by default). Where
that service cannot answer — no network, or a package index mirror whose versions the public
service does not know — pip-audit skips the package. A skip is not a pass: this script prints how
many packages were really audited and which were skipped, fails on any vulnerability found, and
fails on skips only with ``--strict`` (so CI in a sandbox without the advisory service still
runs the tests, and says loudly that the audit could not be done).

Usage: python .ci/audit.py REQUIREMENTS_TXT [--strict]
"""

from __future__ import annotations

import json
import subprocess
import sys


def main(argv: list[str]) -> int:
    requirements = argv[0]
    strict = "--strict" in argv[1:]
    completed = subprocess.run(
        [
            sys.executable, "-m", "pip_audit", "--requirement", requirements, "--no-deps",
            "--disable-pip", "--format", "json", "--progress-spinner", "off",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        print(completed.stderr.strip() or completed.stdout.strip(), file=sys.stderr)
        print("audit: pip-audit produced no report", file=sys.stderr)
        return 2
    packages = report.get("dependencies", [])
    skipped = [p for p in packages if p.get("skip_reason")]
    audited = [p for p in packages if not p.get("skip_reason")]
    vulnerable = [p for p in audited if p.get("vulns")]
    for package in vulnerable:
        for vuln in package["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix released"
            print(f"VULNERABLE {package['name']} {package['version']}: {vuln['id']} (fixed in {fixes})")
    print(f"audit: {len(audited)} of {len(packages)} locked packages audited, "
          f"{len(vulnerable)} with known vulnerabilities, {len(skipped)} skipped")
    if skipped:
        names = ", ".join(p['name'] for p in skipped[:8])
        more = f" and {len(skipped) - 8} more" if len(skipped) > 8 else ""
        print(f"audit: WARNING — the advisory service could not check {names}{more} "
              f"({skipped[0]['skip_reason']})")
    if vulnerable:
        return 1
    if skipped and strict:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
