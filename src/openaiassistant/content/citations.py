"""Citations: what the answer's text cites, as one record across the two APIs.

A :class:`Citation` is a file search hit (``file_citation``: a file id and name, and the quote
when the server gives one), a web source (``url_citation``), a file code_interpreter wrote
(``container_file_citation`` on Responses, ``file_path`` on Assistants), each with where it sits
in the answer's text (``start_index`` / ``end_index``; Responses marks file citations with one
``index``, kept as ``start_index``). The per-API readers are in ``responses_format`` and
``assistants_format``; :mod:`openaiassistant.content.footnotes` renders them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

__all__ = ["Citation", "FILE_TYPES", "field_of", "join_parts"]

# annotation types that point at a file (and can be given a file name)
FILE_TYPES = ("file_citation", "file_path", "container_file_citation")


@dataclass(frozen=True, kw_only=True)
class Citation:
    type: str
    text: str | None = None  # the marker in the text that stands for it (Assistants: 【4:0†a.md】)
    file_id: str | None = None
    filename: str | None = None
    container_id: str | None = None
    url: str | None = None
    title: str | None = None
    quote: str | None = None
    start_index: int | None = None
    end_index: int | None = None
    number: int | None = None  # its footnote, once rendered ([1], [2], ...)
    part: int | None = None  # which text part of the answer the indices count in (internal)

    @property
    def source(self) -> tuple[str, ...]:
        """What it cites: two citations of one source share a footnote."""
        if self.url:
            return ("url", self.url)
        return ("file", self.container_id or "", self.file_id or self.filename or self.text or "")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and k != "part"}


def field_of(obj: Any, key: str) -> Any:
    """A field of an annotation (or of the object inside one), whether the SDK gave a typed model
    or, through its generic ``client.get/post`` (openai 1.37.1), a dict."""
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def join_parts(texts: Sequence[str], citations: Sequence[Citation], sep: str = "\n\n") -> tuple[str, list[Citation]]:
    """The answer's text parts joined into one text (empty parts dropped), with each citation's
    indices moved from its part into the joined text."""
    offsets: dict[int, int] = {}
    kept: list[str] = []
    at = 0
    for i, text in enumerate(texts):
        if not text:
            continue
        if kept:
            at += len(sep)
        offsets[i] = at
        kept.append(text)
        at += len(text)
    moved = []
    for c in citations:
        shift = offsets.get(c.part, 0) if c.part is not None else 0
        moved.append(
            replace(
                c,
                part=None,
                start_index=None if c.start_index is None else c.start_index + shift,
                end_index=None if c.end_index is None else c.end_index + shift,
            )
        )
    return sep.join(kept), moved
