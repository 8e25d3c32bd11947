"""The docs render as written: no code fence left open swallows the rest of a page (the README
once showed its feature list, Commands table and links as one code block)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("docs/keep/*.mdx"), *ROOT.glob("examples/**/*.md")]
)
FENCE = re.compile(r"^\s*(```|~~~)")


def _outside_code(path: Path) -> list[str]:
    """The page's lines that render as text (not inside a fenced code block)."""
    inside, lines = False, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            lines.append(line)
    assert not inside, f"{path.relative_to(ROOT)}: a code fence is never closed"
    return lines


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_code_fence_is_closed(path: Path) -> None:
    _outside_code(path)


def test_the_readme_sections_render_as_text() -> None:
    text = _outside_code(ROOT / "README.md")
    for heading in ("## What it is", "## Commands", "## Documentation", "## Development"):
        assert heading in text, f"{heading} is inside a code block"
    assert any(line.startswith("| `openaiassistant keep run") for line in text)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_local_links_and_images_exist(path: Path) -> None:
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", "\n".join(_outside_code(path))):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (path.parent / target).exists(), f"{path.relative_to(ROOT)} links to {target}, which does not exist"
