"""The files of one turn: uploaded before it is sent, cleaned up after, named and rendered in its
answer, and the files it produced listed and downloadable.

:class:`TurnFiles` uploads a turn's local and inline images and attachments (every one was
checked before the first goes up; each upload is sent once, see
:class:`~openaiassistant.knowledge.api.FilesAPI`), deletes them after the turn under the
``delete_after_turn`` policy, and finishes the result: file citations get their file names (the
Assistants API gives only ids), ``citations`` renders the text (``raw | strip | footnotes``), and
the files code_interpreter wrote are listed in ``files``.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from openaiassistant.content.citations import FILE_TYPES, Citation
from openaiassistant.content.footnotes import render
from openaiassistant.content.inputs import UserInput
from openaiassistant.content.uploads import UploadPolicy, planned_uploads
from openaiassistant.errors import APIError, AssistantError, ConfigError
from openaiassistant.knowledge.api import FilesAPI

__all__ = ["TurnFiles", "download", "produced_files"]

log = logging.getLogger("openaiassistant.files")
_PRODUCED = ("container_file_citation", "file_path")


class TurnFiles:
    def __init__(self, client: Any, *, policy: UploadPolicy, retries: int = 2) -> None:
        self._files = FilesAPI(client, retries=retries)
        self.policy = policy
        self.uploaded: list[str] = []

    def upload(self, user_input: UserInput) -> UserInput:
        """The input with every local or inline file uploaded and named by its file id."""
        ids: dict[str, dict[int, str]] = {"image": {}, "attachment": {}}
        for item in planned_uploads(user_input):
            try:
                obj = self._files.upload(
                    name=item.name,
                    data=item.source.read(),
                    mime=item.source.mime,
                    purpose=item.purpose,
                    expires_after=self.policy.expires_after,
                )
            except APIError as exc:
                hint = (
                    " (a server without file expiry: set upload_policy to keep or delete_after_turn)"
                    if self.policy.expires_after and "expires_after" in exc.message
                    else ""
                )
                raise APIError(
                    f"{item.where}: uploading {item.source.name} failed: {exc.message}{hint}",
                    http_status=exc.http_status,
                    code=exc.code,
                ) from None
            except OSError as exc:
                raise ConfigError(item.where, f"{item.source.name} could not be read: {exc}") from None
            self.uploaded.append(str(obj["id"]))
            ids[item.kind][item.index] = str(obj["id"])
        return user_input.with_file_ids(images=ids["image"], attachments=ids["attachment"])

    def after_turn(self) -> None:
        """Delete the turn's uploads when the policy says so (never raises: the answer matters more)."""
        if not self.policy.delete_after_turn:
            return
        for file_id in self.uploaded:
            try:
                self._files.delete(file_id)
            except AssistantError as exc:
                log.warning("could not delete uploaded file %s after the turn: %s", file_id, exc.message)

    def finish(self, result: Any, *, mode: str) -> Any:
        """The result with named citations, text rendered in ``mode`` and produced files listed."""
        citations = [self._named(c) for c in result.citations]
        text, numbered = render(result.text, citations, mode)
        result.citations = numbered
        result.files = produced_files(numbered)
        if text != result.text:
            if isinstance(result.response, str) and result.response == result.text:
                result.response = text
            result.text = text
        return result

    def _named(self, citation: Any) -> Any:
        if not isinstance(citation, Citation) or citation.filename or not citation.file_id:
            return citation
        if citation.type not in FILE_TYPES or citation.container_id:
            return citation
        name = self._files.name(citation.file_id)
        return replace(citation, filename=name) if name else citation

    def download(self, file: Any, directory: str | Path) -> Path:
        return download(self._files, file, directory)


def produced_files(citations: list[Any]) -> list[dict[str, Any]]:
    """The files code_interpreter wrote, once each: ``{file_id, filename, container_id}``."""
    seen: dict[tuple[str | None, str], dict[str, Any]] = {}
    for c in citations:
        if isinstance(c, Citation) and c.type in _PRODUCED and c.file_id:
            entry = {"file_id": c.file_id, "filename": c.filename or c.file_id}
            if c.container_id:
                entry["container_id"] = c.container_id
            seen.setdefault((c.container_id, c.file_id), entry)
    return list(seen.values())


def download(files: FilesAPI, file: Any, directory: str | Path) -> Path:
    """Save one produced file (an entry of ``result.files``, or a file id) into ``directory``."""
    entry = file if isinstance(file, dict) else {"file_id": str(file)}
    if not entry.get("file_id"):
        raise ConfigError("file", "expected an entry of result.files or a file id")
    folder = Path(directory).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(str(entry.get("filename") or entry["file_id"])).name  # never a path out of the folder
    target = folder / name
    target.write_bytes(files.content(str(entry["file_id"]), container_id=entry.get("container_id")))
    return target
