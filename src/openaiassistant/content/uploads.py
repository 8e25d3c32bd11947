"""What happens to the files a turn uploads: an upload policy, and the uploads a turn needs.

``upload_policy`` is ``keep`` (the files stay until deleted), ``delete_after_turn`` (deleted
when the turn ends, however it ends) or ``expire_after: 7d`` (the API's own file expiry,
``expires_after``, from 1h to 30d; the default is 7 days). Images go up with purpose ``vision``,
attachments with ``assistants``; a text file file_search would refuse by its extension goes up
as ``NAME.txt`` (see :meth:`~openaiassistant.content.sources.FileSource.upload_name`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openaiassistant.content.inputs import UserInput
from openaiassistant.content.sources import FileSource
from openaiassistant.errors import ConfigError
from openaiassistant.values import parse_duration

__all__ = ["DEFAULT_POLICY", "Upload", "UploadPolicy", "parse_upload_policy", "planned_uploads"]

MODES = ("keep", "delete_after_turn", "expire_after")
FILE_EXPIRY = (3600, 30 * 86400)  # the Files API's bounds for expires_after.seconds


@dataclass(frozen=True, kw_only=True)
class UploadPolicy:
    mode: str = "expire_after"
    seconds: int | None = 7 * 86400

    @property
    def expires_after(self) -> dict[str, Any] | None:
        """The Files API's ``expires_after`` for this policy (None: the file is kept)."""
        if self.mode != "expire_after" or self.seconds is None:
            return None
        return {"anchor": "created_at", "seconds": self.seconds}

    @property
    def delete_after_turn(self) -> bool:
        return self.mode == "delete_after_turn"


DEFAULT_POLICY = UploadPolicy()


def parse_upload_policy(value: Any, where: str = "upload_policy") -> UploadPolicy:
    """``keep``, ``delete_after_turn``, ``expire_after: 7d`` (also ``expire_after 7d`` or
    ``{expire_after: 7d}``); None or "" is the default (expire after 7 days)."""
    if value is None or value == "":
        return DEFAULT_POLICY
    if isinstance(value, UploadPolicy):
        return value
    if isinstance(value, dict) and set(value) == {"expire_after"}:
        value = f"expire_after {value['expire_after']}"
    if not isinstance(value, str):
        raise ConfigError(where, f"must be one of keep, delete_after_turn or expire_after: AGE, got {value!r}")
    mode, _, rest = value.strip().replace(":", " ", 1).partition(" ")
    if mode not in MODES or (mode != "expire_after" and rest.strip()):
        raise ConfigError(where, f"must be keep, delete_after_turn or expire_after: AGE (e.g. 7d), got {value!r}")
    if mode != "expire_after":
        return UploadPolicy(mode=mode, seconds=None)
    low, high = FILE_EXPIRY
    seconds = parse_duration(where, rest.strip(), minimum=low, maximum=high, unit_required=True)
    return UploadPolicy(mode="expire_after", seconds=int(seconds))


@dataclass(frozen=True, kw_only=True)
class Upload:
    """One file a turn has to upload before it is sent."""

    where: str  # images[0], attachments[1]
    kind: str  # "image" or "attachment"
    index: int
    source: FileSource
    purpose: str
    name: str  # the name it goes up under


def planned_uploads(user_input: UserInput) -> list[Upload]:
    uploads = [
        Upload(where=f"images[{i}]", kind="image", index=i, source=img.source, purpose="vision", name=img.source.name)
        for i, img in enumerate(user_input.images)
        if img.pending and img.source is not None
    ]
    uploads += [
        Upload(
            where=f"attachments[{i}]",
            kind="attachment",
            index=i,
            source=att.source,
            purpose="assistants",
            name=att.source.upload_name(att.tools),
        )
        for i, att in enumerate(user_input.attachments)
        if att.pending and att.source is not None
    ]
    return uploads
