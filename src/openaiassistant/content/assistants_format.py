"""The Assistants v2 wire form of a turn's input, and of the annotations on its answer.

Input: a message whose content holds ``text``, ``image_url`` and ``image_file`` parts (plain text
stays a string), and whose ``attachments`` list gives each file id with its tools; the thread
puts file_search files into its own vector store and code_interpreter files into its sandbox.

Annotations on ``text``: ``file_citation`` (the marker ``text``, ``file_citation.file_id`` and,
on some servers, ``.quote``; start_index, end_index) and ``file_path`` (``file_path.file_id``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openaiassistant.content.citations import Citation, field_of
from openaiassistant.content.inputs import UserInput

__all__ = ["citations", "message"]


def message(user_input: UserInput) -> dict[str, Any]:
    """Keyword arguments for ``beta.threads.messages.create`` (without thread_id)."""
    if not user_input.images:
        content: Any = user_input.text
    else:
        content = [{"type": "text", "text": user_input.text}]
        for image in user_input.images:
            if image.file_id:
                content.append({"type": "image_file", "image_file": {"file_id": image.file_id, "detail": image.detail}})
            else:
                content.append({"type": "image_url", "image_url": {"url": image.url, "detail": image.detail}})
    body: dict[str, Any] = {"role": "user", "content": content}
    attached = [a for a in user_input.attachments if a.file_id]
    if attached:
        body["attachments"] = [{"file_id": a.file_id, "tools": [{"type": t} for t in a.tools]} for a in attached]
    return body


def citations(annotations: Iterable[Any], *, part: int | None = None) -> list[Citation]:
    """A text part's annotations as citations (``part``: which text part of the answer it is)."""
    out = []
    for ann in annotations or ():
        kind = field_of(ann, "type")
        inner = field_of(ann, kind) if kind else None
        out.append(
            Citation(
                type=str(kind),
                text=field_of(ann, "text"),
                file_id=field_of(inner, "file_id") if inner is not None else None,
                quote=(field_of(inner, "quote") or None) if inner is not None else None,
                start_index=field_of(ann, "start_index"),
                end_index=field_of(ann, "end_index"),
                part=part,
            )
        )
    return out
