"""Read a tool's description and per-parameter descriptions from its docstring.

Three common styles are understood, because tool authors will write whichever they know:

* Google::

      Args:
          host (str): the host name,
              continued on the next line.

* Sphinx / reST::

      :param host: the host name
      :type host: str

* NumPy::

      Parameters
      ----------
      host : str
          the host name

The summary (the tool's description) is everything before the first section.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

__all__ = ["parse_docstring"]

_GOOGLE_ARGS = re.compile(r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments):\s*$")
_GOOGLE_OTHER = re.compile(
    r"^(Returns?|Raises|Yields?|Examples?|Notes?|Attributes|See Also|Warnings?|References|Todo):\s*$"
)
_GOOGLE_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SPHINX_FIELD = re.compile(r"^:(\w+)(?:\s+([^:]+))?:\s*(.*)$")
_NUMPY_UNDERLINE = re.compile(r"^-{3,}\s*$")
_NUMPY_ENTRY = re.compile(r"^(\w+)\s*(?::.*)?$")


@dataclass(kw_only=True)
class ParsedDocstring:
    """The summary and the per-parameter descriptions of a docstring."""

    summary: str = ""
    params: dict[str, str] = field(default_factory=dict)


def parse_docstring(obj: object) -> ParsedDocstring:
    """Parse the docstring of ``obj`` (a function or class); empty when it has none."""
    doc = inspect.getdoc(obj)
    if not doc:
        return ParsedDocstring()
    lines = doc.splitlines()
    summary_lines: list[str] = []
    params: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if _GOOGLE_ARGS.match(stripped) and not _is_numpy_header(lines, i):
            i = _read_google_args(lines, i + 1, params)
        elif _GOOGLE_OTHER.match(stripped) and not _is_numpy_header(lines, i):
            i = _skip_indented(lines, i + 1)
        elif _is_numpy_header(lines, i):
            if stripped in ("Parameters", "Other Parameters", "Keyword Arguments"):
                i = _read_numpy_params(lines, i + 2, params)
            else:
                i = _skip_numpy_section(lines, i + 2)
        elif stripped.startswith(":"):
            i = _read_sphinx_field(lines, i, params)
        else:
            if not params:
                summary_lines.append(stripped)
            i += 1
    return ParsedDocstring(summary=_join_paragraphs(summary_lines), params=params)


def _is_numpy_header(lines: list[str], i: int) -> bool:
    return i + 1 < len(lines) and bool(lines[i].strip()) and bool(_NUMPY_UNDERLINE.match(lines[i + 1].strip()))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _skip_indented(lines: list[str], i: int) -> int:
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > 0):
        i += 1
    return i


def _read_google_args(lines: list[str], i: int, params: dict[str, str]) -> int:
    current: str | None = None
    entry_indent: int | None = None
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        indent = _indent(line)
        if indent == 0:
            break
        if entry_indent is None:
            entry_indent = indent
        match = _GOOGLE_ENTRY.match(line.strip())
        if indent <= entry_indent and match:
            current = match.group(1)
            params[current] = match.group(2).strip()
        elif current is not None:
            # A continuation line of the current parameter's description.
            params[current] = (params[current] + " " + line.strip()).strip()
        i += 1
    return i


def _read_sphinx_field(lines: list[str], i: int, params: dict[str, str]) -> int:
    match = _SPHINX_FIELD.match(lines[i].strip())
    i += 1
    if not match:
        return i
    kind, name, text = match.group(1), (match.group(2) or "").split(), match.group(3).strip()
    # Continuation lines are indented relative to the field.
    while i < len(lines) and lines[i].strip() and _indent(lines[i]) > 0:
        text = (text + " " + lines[i].strip()).strip()
        i += 1
    if kind in ("param", "parameter", "arg", "argument", "key", "keyword") and name:
        params[name[-1]] = text
    return i


def _read_numpy_params(lines: list[str], i: int, params: dict[str, str]) -> int:
    current: str | None = None
    while i < len(lines):
        line = lines[i]
        if _is_numpy_header(lines, i):
            break
        if not line.strip():
            i += 1
            continue
        if _indent(line) == 0:
            match = _NUMPY_ENTRY.match(line.strip())
            current = match.group(1) if match else None
            if current:
                params[current] = ""
        elif current is not None:
            params[current] = (params[current] + " " + line.strip()).strip()
        i += 1
    return i


def _skip_numpy_section(lines: list[str], i: int) -> int:
    while i < len(lines) and not _is_numpy_header(lines, i):
        i += 1
    return i


def _join_paragraphs(lines: list[str]) -> str:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)
