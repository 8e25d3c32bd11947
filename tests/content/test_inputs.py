"""Image and file inputs: validation and each API's wire form."""

from __future__ import annotations

import pytest

from openaiassistant.content import assistants_format, build_input, responses_format
from openaiassistant.errors import ConfigError


def test_responses_message_has_text_images_and_files_in_order():
    ui = build_input(
        "What is on this dashboard?",
        images=["https://grafana.example/render.png", {"file_id": "file-img", "detail": "high"}],
        attachments=[{"file_id": "file-log", "tools": ["file_search"]}],
    )
    assert responses_format.message_item(ui) == {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is on this dashboard?"},
            {"type": "input_image", "detail": "auto", "image_url": "https://grafana.example/render.png"},
            {"type": "input_image", "detail": "high", "file_id": "file-img"},
            {"type": "input_file", "file_id": "file-log"},
        ],
    }


def test_assistants_message_uses_content_parts_and_attachments():
    ui = build_input(
        "Analyze",
        images=[{"url": "https://x.example/a.png", "detail": "low"}],
        attachments=["file-1", {"file_id": "file-2", "tools": [{"type": "code_interpreter"}, "file_search"]}],
    )
    msg = assistants_format.message(ui)
    assert msg["content"] == [
        {"type": "text", "text": "Analyze"},
        {"type": "image_url", "image_url": {"url": "https://x.example/a.png", "detail": "low"}},
    ]
    assert msg["attachments"] == [
        {"file_id": "file-1", "tools": [{"type": "file_search"}]},
        {"file_id": "file-2", "tools": [{"type": "code_interpreter"}, {"type": "file_search"}]},
    ]


def test_plain_text_stays_a_string_on_assistants():
    assert assistants_format.message(build_input("hi")) == {"role": "user", "content": "hi"}


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"images": [{"url": "ftp://x/a.png"}]}, "images[0]"),
        ({"images": [{"url": "https://x/a.png", "file_id": "f"}]}, "images[0]"),
        ({"images": [{"url": "https://x/a.png", "detail": "ultra"}]}, "images[0].detail"),
        ({"images": [42]}, "images[0]"),
        ({"attachments": [{"tools": ["file_search"]}]}, "attachments[0]"),
        ({"attachments": [{"file_id": "f", "tools": ["browser"]}]}, "attachments[0].tools"),
    ],
)
def test_bad_inputs_name_the_parameter(kwargs, parameter):
    with pytest.raises(ConfigError) as info:
        build_input("x", **kwargs)
    assert info.value.parameter == parameter


def test_empty_prompt_is_rejected():
    with pytest.raises(ConfigError, match="prompt"):
        build_input("   ")


def test_citations_are_normalized_from_both_apis():
    resp = responses_format.citations(
        [
            {"type": "file_citation", "file_id": "file-1", "filename": "runbook.md", "index": 12},
            {"type": "url_citation", "url": "https://w.example", "title": "W", "start_index": 1, "end_index": 5},
        ]
    )
    assert [c.to_dict() for c in resp] == [
        {"type": "file_citation", "file_id": "file-1", "filename": "runbook.md", "start_index": 12},
        {"type": "url_citation", "url": "https://w.example", "title": "W", "start_index": 1, "end_index": 5},
    ]
    asst = assistants_format.citations(
        [
            {
                "type": "file_citation",
                "text": "【4:0†runbook.md】",
                "file_citation": {"file_id": "file-1"},
                "start_index": 3,
                "end_index": 18,
            }
        ]
    )
    assert asst[0].to_dict() == {
        "type": "file_citation",
        "text": "【4:0†runbook.md】",
        "file_id": "file-1",
        "start_index": 3,
        "end_index": 18,
    }
