"""Citations: annotations on the answer's text, normalized across the two APIs.

Responses ``output_text.annotations``: ``file_citation`` (file_id, filename, index),
``url_citation`` (url, title, start_index, end_index), ``container_file_citation``, ``file_path``.
Assistants ``text.annotations``: ``file_citation`` (text, file_citation.file_id, start_index,
end_index), ``file_path``. Both become :class:`Citation` records in the result's ``citations``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Citation:
    type: str
    text: str | None = None
    file_id: str | None = None
    filename: str | None = None
    url: str | None = None
    title: str | None = None
    start_index: int | None = None
    end_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def from_responses_annotations(annotations: Iterable[Any]) -> list[Citation]:
    out = []
    for ann in annotations or ():
        kind = _get(ann, "type")
        out.append(
            Citation(
                type=kind,
                file_id=_get(ann, "file_id"),
                filename=_get(ann, "filename"),
                url=_get(ann, "url"),
                title=_get(ann, "title"),
                start_index=_get(ann, "start_index") if _get(ann, "start_index") is not None else _get(ann, "index"),
                end_index=_get(ann, "end_index"),
            )
        )
    return out


def from_assistants_annotations(annotations: Iterable[Any]) -> list[Citation]:
    out = []
    for ann in annotations or ():
        kind = _get(ann, "type")
        inner = _get(ann, kind) if kind else None
        out.append(
            Citation(
                type=kind,
                text=_get(ann, "text"),
                file_id=_get(inner, "file_id") if inner is not None else None,
                start_index=_get(ann, "start_index"),
                end_index=_get(ann, "end_index"),
            )
        )
    return out
