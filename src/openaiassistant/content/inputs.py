"""A turn's input beyond its text: images and file attachments, as plain values.

These say *what* the user gives, never how an API wants it (that is
:mod:`openaiassistant.content.responses_format` and :mod:`~openaiassistant.content.assistants_format`).
An image is a URL, an uploaded file id, or a :class:`~openaiassistant.content.sources.FileSource`
still to be uploaded; an attachment is a file id or a source, with the tools that use it.
:mod:`openaiassistant.content.parsing` builds them from what users write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from openaiassistant.content.sources import FileSource

__all__ = ["ATTACHMENT_TOOLS", "IMAGE_DETAILS", "Attachment", "ImageInput", "UserInput"]

IMAGE_DETAILS = ("auto", "low", "high")
ATTACHMENT_TOOLS = ("file_search", "code_interpreter")


@dataclass(frozen=True, kw_only=True)
class ImageInput:
    """One image: exactly one of ``url``, ``file_id`` or ``source`` (a local or inline file)."""

    url: str | None = None
    file_id: str | None = None
    source: FileSource | None = None
    detail: str = "auto"

    @property
    def pending(self) -> bool:
        """Still to be uploaded."""
        return self.source is not None and self.file_id is None


@dataclass(frozen=True, kw_only=True)
class Attachment:
    """One file for the assistant's tools: a ``file_id``, or a ``source`` still to be uploaded."""

    file_id: str | None = None
    source: FileSource | None = None
    tools: tuple[str, ...] = ("file_search",)

    @property
    def pending(self) -> bool:
        return self.source is not None and self.file_id is None

    @property
    def name(self) -> str | None:
        return self.source.name if self.source is not None else None


@dataclass(frozen=True, kw_only=True)
class UserInput:
    """What the user says in one turn: text, images and attachments."""

    text: str
    images: tuple[ImageInput, ...] = field(default_factory=tuple)
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)

    @property
    def pending(self) -> bool:
        """Whether any image or attachment still has to be uploaded."""
        return any(i.pending for i in self.images) or any(a.pending for a in self.attachments)

    def with_file_ids(self, *, images: Mapping[int, str], attachments: Mapping[int, str]) -> UserInput:
        """The same input with uploaded file ids filled in (by position)."""
        return replace(
            self,
            images=tuple(replace(img, file_id=images[i]) if i in images else img for i, img in enumerate(self.images)),
            attachments=tuple(
                replace(att, file_id=attachments[i]) if i in attachments else att
                for i, att in enumerate(self.attachments)
            ),
        )

    def attachment_ids(self, tool: str) -> list[str]:
        """File ids of the (uploaded) attachments for one tool, in order."""
        return [a.file_id for a in self.attachments if a.file_id and tool in a.tools]
