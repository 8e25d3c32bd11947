"""``python -m openaiassistant.schemas DIR``: write every document to DIR/<name>.schema.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import DOCUMENTS

__all__ = ["main", "render"]


def render(name: str) -> str:
    """The published text of one document (what docs/schemas/ holds, byte for byte)."""
    return json.dumps(DOCUMENTS[name], indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m openaiassistant.schemas DIR", file=sys.stderr)
        return 2
    target = Path(argv[0])
    target.mkdir(parents=True, exist_ok=True)
    for name in DOCUMENTS:
        (target / f"{name}.schema.json").write_text(render(name), encoding="utf-8")
        print(target / f"{name}.schema.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
