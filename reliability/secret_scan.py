"""Scan what the suite logged for secrets: every secret-shaped literal the tests use, and
anything shaped like an API key or bearer token that was not redacted.

    python reliability/secret_scan.py FILE... [--json OUT]

The secrets looked for are collected from the test sources (``sk-`` keys, ``...pass-...`` /
``...secret...`` / ``...token...`` values of 8+ characters): every one of them is given to the
code under test somewhere, and none may come back out in a log line, an error or a result.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_LITERAL = re.compile(r"""["']([^"'\s{}]{8,200})["']""")
_SECRET_SHAPED = re.compile(
    r"(?i)^(sk-[A-Za-z0-9_-]{8,}|[a-z0-9_-]*(pass(word)?|secret|token)[-_][A-Za-z0-9_-]{6,}|ghp_[A-Za-z0-9]{8,})$"
)
# shapes the code must never let through unredacted, whatever the tests used
_UNREDACTED = [
    re.compile(r"(?<![A-Za-z0-9])sk-(?:proj-)?[A-Za-z0-9_\-]{16,}"),
    re.compile(r"(?i)\bbearer\s+(?!\*\*\*)[A-Za-z0-9_\-\.=]{12,}"),
]
# literals the tests use that are not secrets (names, not values)
_NOT_SECRETS = {"secret_name", "api_key_env", "token_url"}


def test_secrets(root: Path = ROOT) -> set[str]:
    found: set[str] = set()
    for path in list((root / "tests").rglob("*.py")) + list((root / "reliability").glob("*.py")):
        if path.name == "secret_scan.py":
            continue
        for literal in _LITERAL.findall(path.read_text(encoding="utf-8", errors="replace")):
            if _SECRET_SHAPED.match(literal) and literal not in _NOT_SECRETS and not literal.isupper():
                found.add(literal)
    return found


def scan(files: list[Path], secrets: set[str]) -> dict[str, object]:
    hits: list[dict[str, object]] = []
    scanned = 0
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        scanned += len(text)
        for number, line in enumerate(text.splitlines(), 1):
            leaked = [s for s in secrets if s in line]
            leaked += [m.group(0) for pattern in _UNREDACTED for m in pattern.finditer(line)]
            for secret in sorted(set(leaked)):
                hits.append({"file": path.name, "line": number, "secret": secret[:6] + "...", "text": line[:200]})
    return {"files": len(files), "bytes": scanned, "secrets": len(secrets), "hits": hits}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    report = scan([Path(f) for f in args.files], test_secrets())
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    print(f"{report['files']} files, {report['bytes']} bytes, {report['secrets']} secrets, {len(report['hits'])} hits")
    for hit in report["hits"][:20]:  # type: ignore[index]
        print(hit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
