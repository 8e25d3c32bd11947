"""Files as a user gives them: a local path or inline content, typed and sized before any upload.

A :class:`FileSource` is what ``{path}``, ``{name, content}`` (text) and ``{data, mime}`` (base64)
become. Its type is known from its name and, for images, from its first bytes; its size from the
file system or the decoded data. Nothing is read into memory until :meth:`FileSource.read`, when
it is uploaded. :func:`check_image` and :func:`check_attachment` refuse what the API would refuse
(an unknown image type, a file too large), naming the parameter, before anything is sent.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openaiassistant.errors import ConfigError

__all__ = [
    "IMAGE_TYPES",
    "MAX_FILE_BYTES",
    "MAX_IMAGE_BYTES",
    "FileSource",
    "check_attachment",
    "check_image",
    "inline_data",
    "inline_text",
    "local_file",
]

# The API's own limits: 512 MB per uploaded file, 20 MB per image input.
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_IMAGE_BYTES = 20 * 1024 * 1024
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# file_search indexes these extensions only (the API refuses others, e.g. ``.log``); a text file
# with another extension is uploaded under its name plus ``.txt`` (see FileSource.upload_name).
SEARCHABLE_EXTENSIONS = frozenset(
    {
        ".c",
        ".cpp",
        ".cs",
        ".css",
        ".doc",
        ".docx",
        ".go",
        ".html",
        ".java",
        ".js",
        ".json",
        ".md",
        ".pdf",
        ".php",
        ".pptx",
        ".py",
        ".rb",
        ".sh",
        ".tex",
        ".ts",
        ".txt",
    }
)
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True, kw_only=True)
class FileSource:
    """A file's bytes as the user gave them (``path`` on disk, or inline ``data``)."""

    name: str
    mime: str
    size: int
    path: Path | None = None
    data: bytes | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None  # one of the two is always set (see the constructors)
        return self.path.read_bytes()

    def head(self, count: int = 16) -> bytes:
        """The first bytes (for sniffing a type), without reading the whole file."""
        if self.data is not None:
            return self.data[:count]
        assert self.path is not None
        with self.path.open("rb") as handle:
            return handle.read(count)

    @property
    def is_text(self) -> bool:
        if self.mime.startswith("text/") or self.mime in ("application/json", "application/x-ndjson"):
            return True
        try:
            self.head(4096).decode("utf-8")
        except UnicodeDecodeError:
            return False
        return b"\x00" not in self.head(4096)

    def upload_name(self, tools: tuple[str, ...] = ()) -> str:
        """The file name to upload under: file_search refuses text files it does not know by
        their extension (``db-1.log``), so those go up as ``db-1.log.txt``."""
        if "file_search" in tools and Path(self.name).suffix.lower() not in SEARCHABLE_EXTENSIONS and self.is_text:
            return f"{self.name}.txt"
        return self.name


def _guess(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def local_file(where: str, raw: Any, *, base_dir: Path | None = None) -> FileSource:
    """A local file by path: it must exist, be a regular file and (with ``base_dir``) lie inside it."""
    if not isinstance(raw, (str, Path)) or not str(raw).strip():
        raise ConfigError(where, f"expected a file path, got {raw!r}")
    path = Path(str(raw).strip()).expanduser()
    if base_dir is not None:
        root = base_dir.expanduser().resolve()
        path = (root / path).resolve() if not path.is_absolute() else path.resolve()
        if not path.is_relative_to(root):
            raise ConfigError(where, f"{raw} is outside the allowed directory {root} (files_dir)")
    if not path.is_file():
        raise ConfigError(where, f"no such file: {raw}")
    return FileSource(name=path.name, mime=_guess(path.name), size=path.stat().st_size, path=path)


def inline_text(where: str, name: Any, content: Any) -> FileSource:
    """``{name, content}``: text given in place, uploaded as a UTF-8 file of that name."""
    if not isinstance(name, str) or not name.strip() or "/" in name:
        raise ConfigError(f"{where}.name", "must be a file name such as notes.md")
    if not isinstance(content, str):
        raise ConfigError(f"{where}.content", "must be text (use {data, mime} for base64 bytes)")
    data = content.encode("utf-8")
    mime = _guess(name)
    return FileSource(
        name=name, mime=mime if mime != "application/octet-stream" else "text/plain", size=len(data), data=data
    )


def inline_data(where: str, data: Any, mime: Any, name: Any = None) -> FileSource:
    """``{data, mime[, name]}``: base64 bytes given in place (a data: URL's payload also works)."""
    if not isinstance(mime, str) or "/" not in mime:
        raise ConfigError(f"{where}.mime", "must be a media type such as image/png")
    if not isinstance(data, str) or not data.strip():
        raise ConfigError(f"{where}.data", "must be base64 text")
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{where}.data", "is not valid base64") from None
    if name is None or name == "":
        name = f"inline{mimetypes.guess_extension(mime) or '.bin'}"
    if not isinstance(name, str) or "/" in name:
        raise ConfigError(f"{where}.name", "must be a file name such as screenshot.png")
    return FileSource(name=name, mime=mime, size=len(raw), data=raw)


def sniff_image(source: FileSource) -> str | None:
    head = source.head(16)
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_image(where: str, source: FileSource) -> FileSource:
    """An image the API takes: PNG, JPEG, GIF or WebP by its bytes, at most 20 MB."""
    mime = sniff_image(source)
    if mime is None:
        raise ConfigError(where, f"{source.name} is not a PNG, JPEG, GIF or WebP image")
    if source.size > MAX_IMAGE_BYTES:
        raise ConfigError(where, f"{source.name} is {source.size} bytes; images may be at most {MAX_IMAGE_BYTES}")
    if source.size == 0:
        raise ConfigError(where, f"{source.name} is empty")
    return FileSource(name=source.name, mime=mime, size=source.size, path=source.path, data=source.data)


def check_attachment(where: str, source: FileSource, tools: tuple[str, ...]) -> FileSource:
    """A file the API takes for these tools: not empty, at most 512 MB, and for file_search a
    type it can index (a known extension, or text)."""
    if source.size == 0:
        raise ConfigError(where, f"{source.name} is empty")
    if source.size > MAX_FILE_BYTES:
        raise ConfigError(where, f"{source.name} is {source.size} bytes; files may be at most {MAX_FILE_BYTES}")
    if "file_search" in tools:
        suffix = Path(source.name).suffix.lower()
        if suffix not in SEARCHABLE_EXTENSIONS and not source.is_text:
            raise ConfigError(
                where,
                f"file_search cannot index {source.name} ({source.mime}); give text or one of "
                f"{', '.join(sorted(SEARCHABLE_EXTENSIONS))}, or tools: [code_interpreter]",
            )
    return source
