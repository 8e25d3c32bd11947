"""From what users write (Python values, a Keep step's YAML, CLI flags) to input values, checked.

Images: a URL (``https://``, ``data:image/...``), a local path, ``{url|file_id|path, detail}`` or
``{data, mime[, name], detail}``. Attachments: a file id or a local path, ``{file_id|path, tools}``,
``{name, content[, tools]}`` (text) or ``{data, mime[, name], tools}`` (base64). A bare string is a
URL when it has a scheme, a path when it looks like one (a folder, an extension, ``~``, a file
that exists), else a file id.
Every error names its place (``images[0].detail``); nothing is sent before all inputs pass.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openaiassistant.content.inputs import ATTACHMENT_TOOLS, IMAGE_DETAILS, Attachment, ImageInput, UserInput
from openaiassistant.content.sources import (
    FileSource,
    check_attachment,
    check_image,
    inline_data,
    inline_text,
    local_file,
)
from openaiassistant.errors import ConfigError

__all__ = ["build_input", "parse_attachments", "parse_images"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def looks_like_path(text: str, base_dir: Path | None = None) -> bool:
    """A string that names a local file rather than a file id (``file-...``, no dots) or a URL
    (``scheme:...``): it has a folder or an extension, or names a file that exists."""
    if _SCHEME.match(text):
        return False
    if text.startswith(("/", "./", "../", "~")) or "\\" in text or "/" in text or Path(text).suffix:
        return True
    return Path(text).is_file() or (base_dir is not None and (base_dir / text).is_file())


def _source(where: str, item: dict[str, Any], base_dir: Path | None) -> FileSource | None:
    """The local or inline file an item names, or None when it names none."""
    if item.get("path") not in (None, ""):
        return local_file(f"{where}.path", item["path"], base_dir=base_dir)
    if item.get("data") not in (None, ""):
        return inline_data(where, item["data"], item.get("mime"), item.get("name"))
    if "content" in item:
        return inline_text(where, item.get("name"), item["content"])
    return None


def parse_images(value: Any, *, base_dir: Path | None = None) -> tuple[ImageInput, ...]:
    """Images in any of the forms in the module docstring; local and inline ones are checked
    (PNG, JPEG, GIF or WebP; at most 20 MB) but not read."""
    images = []
    for i, item in enumerate(_as_list(value)):
        where = f"images[{i}]"
        if isinstance(item, (str, Path)):
            text = str(item).strip()
            item = {"path": text} if looks_like_path(text, base_dir) else {"url": text}
        if not isinstance(item, dict):
            raise ConfigError(where, "expected a URL, a path, or a mapping with url, file_id, path or data")
        detail = str(item.get("detail") or "auto")
        if detail not in IMAGE_DETAILS:
            raise ConfigError(f"{where}.detail", f"must be one of {', '.join(IMAGE_DETAILS)}")
        images.append(_image(where, item, detail, base_dir))
    return tuple(images)


def _image(where: str, item: dict[str, Any], detail: str, base_dir: Path | None) -> ImageInput:
    url, file_id = item.get("url") or item.get("image_url"), item.get("file_id")
    given = [k for k in ("url", "file_id", "path", "data") if item.get(k) or (k == "url" and url)]
    if len(given) != 1:
        raise ConfigError(where, "give exactly one of url, file_id, path or data")
    if url:
        if not str(url).startswith(("https://", "http://", "data:image/")):
            raise ConfigError(where, "url must be http(s) or a data:image/... URL (or give a path)")
        return ImageInput(url=str(url), detail=detail)
    if file_id:
        return ImageInput(file_id=str(file_id), detail=detail)
    source = _source(where, item, base_dir)
    assert source is not None  # path or data was given
    return ImageInput(source=check_image(where, source), detail=detail)


def _tool_names(raw: Any, where: str) -> tuple[str, ...]:
    names = []
    for tool in _as_list(raw) or ["file_search"]:
        name = tool.get("type") if isinstance(tool, dict) else tool
        if name not in ATTACHMENT_TOOLS:
            raise ConfigError(f"{where}.tools", f"{name!r} is not one of {', '.join(ATTACHMENT_TOOLS)}")
        names.append(name)
    return tuple(dict.fromkeys(names))


def parse_attachments(value: Any, *, base_dir: Path | None = None) -> tuple[Attachment, ...]:
    """Attachments in any of the forms in the module docstring; local and inline files are checked
    for the tools they go to (size; for file_search a type it indexes) but not read."""
    attachments = []
    for i, item in enumerate(_as_list(value)):
        where = f"attachments[{i}]"
        if isinstance(item, (str, Path)):
            text = str(item).strip()
            item = {"path": text} if isinstance(item, Path) or looks_like_path(text, base_dir) else {"file_id": text}
        if not isinstance(item, dict):
            raise ConfigError(where, "expected a file id, a path, or a mapping with file_id, path, content or data")
        tools = _tool_names(item.get("tools"), where)
        if item.get("file_id"):
            if any(item.get(k) not in (None, "") for k in ("path", "data", "content")):
                raise ConfigError(where, "give one of file_id, path, content or data")
            attachments.append(Attachment(file_id=str(item["file_id"]), tools=tools))
            continue
        source = _source(where, item, base_dir)
        if source is None:
            raise ConfigError(where, "expected a file id, a path, or a mapping with file_id, path, content or data")
        attachments.append(Attachment(source=check_attachment(where, source, tools), tools=tools))
    return tuple(attachments)


def build_input(text: str, *, images: Any = None, attachments: Any = None, base_dir: Path | None = None) -> UserInput:
    """The turn's input, every part checked (``base_dir``: local paths must lie inside it)."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("prompt", "must be a non-empty string")
    return UserInput(
        text=text,
        images=parse_images(images, base_dir=base_dir),
        attachments=parse_attachments(attachments, base_dir=base_dir),
    )
