"""Citations rendered into the answer's text: ``raw``, ``strip`` or ``footnotes``.

``raw`` leaves the text as the server sent it. ``strip`` removes the inline markers (Assistants
writes ``【4:0†runbook.md】`` where it cites). ``footnotes`` puts ``[1]``, ``[2]`` where each source
is cited (replacing a marker or a ``sandbox:`` link to a file code_interpreter wrote, or at the
position Responses gives) and appends the sources::

    Rotate the logs, then grow the volume [1].

    Sources:
    [1] diskfull-runbook.md: "rotate logs, then grow the volume"

A source cited twice keeps its number. The citations keep their indices into the server's text
and gain their ``number``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from openaiassistant.content.citations import Citation
from openaiassistant.errors import ConfigError

__all__ = ["CITATION_MODES", "check_mode", "render"]

CITATION_MODES = ("raw", "strip", "footnotes")


def check_mode(value: object, where: str = "citations") -> str:
    mode = str(value or "raw").strip().lower()
    if mode not in CITATION_MODES:
        raise ConfigError(where, f"{value!r} is not one of {', '.join(CITATION_MODES)}")
    return mode


def _is_marker(text: str, c: Citation) -> bool:
    """Whether the citation's span is an inline marker (to replace) rather than cited words."""
    if c.start_index is None or c.end_index is None or c.end_index <= c.start_index:
        return False
    span = text[c.start_index : c.end_index]
    if span.startswith("【") and span.endswith("】") or span.startswith("sandbox:"):  # a marker, a sandbox link
        return True
    return c.text is not None and span == c.text and c.url is None


def _numbered(citations: Sequence[Citation]) -> list[Citation]:
    numbers: dict[tuple[str, ...], int] = {}
    out = []
    for c in citations:
        number = numbers.setdefault(c.source, len(numbers) + 1)
        out.append(replace(c, number=number))
    return out


def _edits(text: str, citations: Sequence[Citation], mode: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) for every citation that changes the text."""
    edits = []
    for c in citations:
        mark = f"[{c.number}]" if mode == "footnotes" else ""
        if _is_marker(text, c):
            assert c.start_index is not None and c.end_index is not None
            edits.append((c.start_index, c.end_index, mark))
        elif mode == "footnotes":
            at = c.end_index if c.end_index is not None else c.start_index
            if at is not None and 0 <= at <= len(text):
                edits.append((at, at, mark))
    return edits


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    out, at, last_mark = [], 0, None
    for start, end, mark in sorted(set(edits)):
        if start < at:  # overlaps an edit already made
            continue
        chunk = text[at:start]
        if start > at or mark != last_mark:
            out.append(chunk)
            # a marker replaced by nothing leaves no double space behind
            if not mark and out and out[-1].endswith(" ") and text[end : end + 1] in (" ", ".", ",", ""):
                out[-1] = out[-1].rstrip(" ")
            out.append(mark)
        last_mark, at = mark, end
    out.append(text[at:])
    return "".join(out)


def _label(c: Citation) -> str:
    if c.url:
        return f"{c.title} <{c.url}>" if c.title else c.url
    return c.filename or c.file_id or "file"


def _sources(citations: Sequence[Citation]) -> str:
    lines, seen = [], set()
    for c in citations:
        if c.number in seen:
            continue
        seen.add(c.number)
        quote = f': "{" ".join(c.quote.split())}"' if c.quote else ""
        lines.append(f"[{c.number}] {_label(c)}{quote}")
    return "Sources:\n" + "\n".join(lines)


def render(text: str, citations: Sequence[Citation], mode: str) -> tuple[str, list[Citation]]:
    """The text in this mode and the citations (numbered for ``footnotes``)."""
    if mode == "raw" or not citations:
        return text, list(citations)
    numbered = _numbered(citations) if mode == "footnotes" else list(citations)
    rendered = _apply(text, _edits(text, numbered, mode))
    if mode == "footnotes":
        rendered = f"{rendered.rstrip()}\n\n{_sources(numbered)}"
    return rendered, numbered
