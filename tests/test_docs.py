"""The docs render as written: no code fence left open swallows the rest of a page (the README
once showed its feature list, Commands table and links as one code block), and
docs/architecture.md names every module of the package."""

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


PACKAGE = ROOT / "src" / "openaiassistant"


def _tree_entries() -> dict[str, str]:
    """docs/architecture.md's "who owns what" tree: each top-level entry (``errors.py``,
    ``backends/``) and its text, the lines indented under it included."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    tree = text.split("```")[1]
    entries: dict[str, str] = {}
    key = None
    for line in tree.splitlines():
        top = re.match(r"^  (\S+)", line)
        if top:
            key = top.group(1)
            entries[key] = ""
        if key is not None:
            entries[key] += line + "\n"
    return entries


def _named(module: Path, entries: dict[str, str]) -> bool:
    parts = module.relative_to(PACKAGE).parts
    if len(parts) == 1:  # a top-level module has its own entry
        return parts[0] in entries
    text = entries.get(f"{parts[0]}/")
    if text is None:
        return False
    if parts[-1] == "__init__.py":  # a package is named by its folder
        return len(parts) == 2 or re.search(rf"(?<![\w.]){re.escape(parts[-2])}/", text) is not None
    return re.search(rf"(?<![\w.]){re.escape(parts[-1])}\b", text) is not None


def test_architecture_names_every_module() -> None:
    # the tree in docs/architecture.md is the map of the package: a module it does not name is a
    # module nobody can find the job of
    entries = _tree_entries()
    missing = [str(p.relative_to(PACKAGE)) for p in sorted(PACKAGE.rglob("*.py")) if not _named(p, entries)]
    assert not missing, f"docs/architecture.md does not name {missing} (a line each in its package's entry)"
