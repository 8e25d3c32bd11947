"""User input beyond text: images and file attachments, validated once, translated per API.

A turn's input is a :class:`UserInput` (text + images + attachments). Each backend asks for its
own wire form:

* Responses: one ``message`` item whose content holds ``input_text``, ``input_image`` (by URL or
  ``file_id``) and ``input_file`` parts. Responses has no per-message attachments: a file attached
  "for file_search" is given to the model directly as an ``input_file`` part, the closest faithful
  equivalent (the model reads the file itself instead of searching it).
* Assistants v2: message content parts ``text``, ``image_url`` / ``image_file`` and the message's
  ``attachments`` list (``file_id`` + tools), as the API takes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from openaiassistant.errors import ConfigError

IMAGE_DETAILS = ("auto", "low", "high")
ATTACHMENT_TOOLS = ("file_search", "code_interpreter")


@dataclass(frozen=True, kw_only=True)
class ImageInput:
    url: str | None = None
    file_id: str | None = None
    detail: str = "auto"


@dataclass(frozen=True, kw_only=True)
class Attachment:
    file_id: str
    tools: tuple[str, ...] = ("file_search",)


@dataclass(frozen=True, kw_only=True)
class UserInput:
    text: str
    images: tuple[ImageInput, ...] = field(default_factory=tuple)
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)

    def responses_message(self) -> dict[str, Any]:
        """The Responses API input item for this turn."""
        parts: list[dict[str, Any]] = [{"type": "input_text", "text": self.text}]
        for image in self.images:
            part: dict[str, Any] = {"type": "input_image", "detail": image.detail}
            if image.file_id:
                part["file_id"] = image.file_id
            else:
                part["image_url"] = image.url
            parts.append(part)
        parts.extend({"type": "input_file", "file_id": a.file_id} for a in self.attachments)
        return {"type": "message", "role": "user", "content": parts}

    def assistants_message(self) -> dict[str, Any]:
        """Keyword arguments for ``beta.threads.messages.create`` (without thread_id)."""
        if not self.images:
            content: Any = self.text
        else:
            content = [{"type": "text", "text": self.text}]
            for image in self.images:
                if image.file_id:
                    content.append(
                        {"type": "image_file", "image_file": {"file_id": image.file_id, "detail": image.detail}}
                    )
                else:
                    content.append({"type": "image_url", "image_url": {"url": image.url, "detail": image.detail}})
        message: dict[str, Any] = {"role": "user", "content": content}
        if self.attachments:
            message["attachments"] = [
                {"file_id": a.file_id, "tools": [{"type": t} for t in a.tools]} for a in self.attachments
            ]
        return message


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def parse_images(value: Any) -> tuple[ImageInput, ...]:
    """Accept a URL string, ``{url|file_id, detail}``, or a list of those."""
    images = []
    for i, item in enumerate(_as_list(value)):
        where = f"images[{i}]"
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict):
            raise ConfigError(where, "expected a URL string or a mapping with 'url' or 'file_id'")
        url, file_id = item.get("url") or item.get("image_url"), item.get("file_id")
        if bool(url) == bool(file_id):
            raise ConfigError(where, "give exactly one of 'url' or 'file_id'")
        if url and not str(url).startswith(("https://", "http://", "data:image/")):
            raise ConfigError(where, "url must be http(s) or a data:image/... URL")
        detail = str(item.get("detail") or "auto")
        if detail not in IMAGE_DETAILS:
            raise ConfigError(f"{where}.detail", f"must be one of {', '.join(IMAGE_DETAILS)}")
        images.append(ImageInput(url=url, file_id=file_id, detail=detail))
    return tuple(images)


def _tool_names(raw: Any, where: str) -> tuple[str, ...]:
    names = []
    for tool in _as_list(raw) or ["file_search"]:
        name = tool.get("type") if isinstance(tool, dict) else tool
        if name not in ATTACHMENT_TOOLS:
            raise ConfigError(f"{where}.tools", f"{name!r} is not one of {', '.join(ATTACHMENT_TOOLS)}")
        names.append(name)
    return tuple(dict.fromkeys(names))


def parse_attachments(value: Any) -> tuple[Attachment, ...]:
    """Accept a file id, ``{file_id, tools}`` (tools as names or ``{type: ...}``), or a list."""
    attachments = []
    for i, item in enumerate(_as_list(value)):
        where = f"attachments[{i}]"
        if isinstance(item, str):
            item = {"file_id": item}
        if not isinstance(item, dict) or not item.get("file_id"):
            raise ConfigError(where, "expected a file id or a mapping with 'file_id'")
        attachments.append(Attachment(file_id=str(item["file_id"]), tools=_tool_names(item.get("tools"), where)))
    return tuple(attachments)


def build_input(text: str, *, images: Any = None, attachments: Any = None) -> UserInput:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("prompt", "must be a non-empty string")
    return UserInput(text=text, images=parse_images(images), attachments=parse_attachments(attachments))


def file_ids(inputs: Iterable[UserInput]) -> list[str]:
    return [a.file_id for ui in inputs for a in ui.attachments]
