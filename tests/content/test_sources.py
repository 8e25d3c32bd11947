"""Local and inline files: typed and sized before anything is uploaded, errors naming the place."""

from __future__ import annotations

import base64

import pytest

from openaiassistant.content import build_input
from openaiassistant.content.uploads import parse_upload_policy, planned_uploads
from openaiassistant.errors import ConfigError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def test_local_and_inline_files_become_sources_to_upload(tmp_path):
    (tmp_path / "shot.png").write_bytes(PNG)
    (tmp_path / "db-1.log").write_text("ERROR disk full\n")
    ui = build_input(
        "look",
        images=[str(tmp_path / "shot.png"), {"data": base64.b64encode(PNG).decode(), "mime": "image/png"}],
        attachments=[
            str(tmp_path / "db-1.log"),
            {"name": "notes.md", "content": "# notes"},
            {"path": str(tmp_path / "db-1.log"), "tools": ["code_interpreter"]},
            "file-abc",
        ],
    )
    assert ui.pending
    uploads = planned_uploads(ui)
    assert [(u.where, u.purpose, u.name) for u in uploads] == [
        ("images[0]", "vision", "shot.png"),
        ("images[1]", "vision", "inline.png"),
        ("attachments[0]", "assistants", "db-1.log.txt"),  # file_search does not index .log
        ("attachments[1]", "assistants", "notes.md"),
        ("attachments[2]", "assistants", "db-1.log"),  # code_interpreter reads it as it is
    ]
    assert ui.attachments[3].file_id == "file-abc" and not ui.attachments[3].pending
    done = ui.with_file_ids(images={0: "file-i0", 1: "file-i1"}, attachments={0: "a0", 1: "a1", 2: "a2"})
    assert not done.pending and done.attachment_ids("code_interpreter") == ["a2"]


@pytest.mark.parametrize(
    ("kwargs", "where", "words"),
    [
        ({"images": ["./nope.png"]}, "images[0].path", "no such file"),
        ({"images": [{"path": "fake.png"}]}, "images[0]", "not a PNG, JPEG, GIF or WebP"),
        ({"images": [{"data": "!!!", "mime": "image/png"}]}, "images[0].data", "not valid base64"),
        ({"attachments": [{"path": "empty.md"}]}, "attachments[0]", "empty.md is empty"),
        ({"attachments": [{"path": "blob.bin"}]}, "attachments[0]", "file_search cannot index blob.bin"),
        ({"attachments": [{"name": "a/b.md", "content": "x"}]}, "attachments[0].name", "file name"),
        ({"attachments": [{"file_id": "f", "path": "x.md"}]}, "attachments[0]", "one of file_id"),
    ],
)
def test_bad_files_are_refused_naming_the_place(tmp_path, monkeypatch, kwargs, where, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fake.png").write_text("not an image")
    (tmp_path / "empty.md").write_text("")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02\xff" * 10)
    with pytest.raises(ConfigError, match=words) as info:
        build_input("x", **kwargs)
    assert info.value.parameter == where


def test_a_binary_file_goes_to_code_interpreter(tmp_path):
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02\xff" * 10)
    ui = build_input("x", attachments=[{"path": str(tmp_path / "blob.bin"), "tools": ["code_interpreter"]}])
    assert ui.attachments[0].source.size == 40


def test_paths_stay_inside_the_base_dir(tmp_path):
    (tmp_path / "inside.md").write_text("ok")
    assert build_input("x", attachments=["inside.md"], base_dir=tmp_path).attachments[0].source.name == "inside.md"
    with pytest.raises(ConfigError, match="outside the allowed directory") as info:
        build_input("x", attachments=["../etc/passwd"], base_dir=tmp_path)
    assert info.value.parameter == "attachments[0].path"


@pytest.mark.parametrize(
    ("value", "mode", "seconds"),
    [
        (None, "expire_after", 7 * 86400),
        ("keep", "keep", None),
        ("delete_after_turn", "delete_after_turn", None),
        ("expire_after: 2d", "expire_after", 2 * 86400),
        ("expire_after 12h", "expire_after", 12 * 3600),
        ({"expire_after": "1h"}, "expire_after", 3600),
    ],
)
def test_upload_policies(value, mode, seconds):
    policy = parse_upload_policy(value)
    assert (policy.mode, policy.seconds) == (mode, seconds)


@pytest.mark.parametrize("value", ["forever", "expire_after: 10m", "expire_after: 60d", "keep 3d", 7])
def test_bad_upload_policies_name_the_setting(value):
    with pytest.raises(ConfigError, match="upload_policy"):
        parse_upload_policy(value)


def test_a_sync_steps_files_json_entries_are_attachments():
    entries = [
        {"file_id": "file-1", "name": "runbooks/disk-full.md", "status": "completed", "bytes": 9, "sha256": "ab"}
    ]
    (attachment,) = build_input("x", attachments=entries).attachments
    assert (attachment.file_id, attachment.tools, attachment.pending) == ("file-1", ("file_search",), False)
