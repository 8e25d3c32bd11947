"""The Responses API's wire form of a turn's input, and of the annotations on its answer.

Input: one ``message`` item whose content holds ``input_text``, ``input_image`` (by URL or
``file_id``) and ``input_file`` parts. Files for ``file_search`` and ``code_interpreter`` reach
those tools through the conversation's vector store and container (the backend puts them there);
``file_parts`` also gives them to the model directly as ``input_file`` parts.

Annotations on ``output_text``: ``file_citation`` (file_id, filename, index), ``url_citation``
(url, title, start_index, end_index), ``container_file_citation`` (container_id, file_id,
filename, start_index, end_index) and ``file_path`` (file_id, index).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openaiassistant.content.citations import Citation, field_of
from openaiassistant.content.inputs import UserInput

__all__ = ["citations", "message_item"]


def message_item(user_input: UserInput, *, file_parts: bool = True) -> dict[str, Any]:
    """The Responses input item for this turn (uploaded files by id)."""
    parts: list[dict[str, Any]] = [{"type": "input_text", "text": user_input.text}]
    for image in user_input.images:
        part: dict[str, Any] = {"type": "input_image", "detail": image.detail}
        if image.file_id:
            part["file_id"] = image.file_id
        else:
            part["image_url"] = image.url
        parts.append(part)
    if file_parts:
        parts.extend({"type": "input_file", "file_id": a.file_id} for a in user_input.attachments if a.file_id)
    return {"type": "message", "role": "user", "content": parts}


def citations(annotations: Iterable[Any], *, part: int | None = None) -> list[Citation]:
    """An ``output_text`` part's annotations as citations (``part``: which text part it is)."""
    out = []
    for ann in annotations or ():
        start = field_of(ann, "start_index")
        out.append(
            Citation(
                type=str(field_of(ann, "type")),
                file_id=field_of(ann, "file_id"),
                filename=field_of(ann, "filename"),
                container_id=field_of(ann, "container_id"),
                url=field_of(ann, "url"),
                title=field_of(ann, "title"),
                start_index=start if start is not None else field_of(ann, "index"),
                end_index=field_of(ann, "end_index"),
                part=part,
            )
        )
    return out
