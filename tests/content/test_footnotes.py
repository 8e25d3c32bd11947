"""Citations rendered: raw, strip, footnotes, for both APIs' annotation shapes."""

from __future__ import annotations

import pytest

from openaiassistant.content import assistants_format, responses_format
from openaiassistant.content.citations import join_parts
from openaiassistant.content.footnotes import check_mode, render
from openaiassistant.errors import ConfigError

ASSISTANTS_TEXT = "Rotate logs【4:0†disk.md】 and grow the volume【4:1†disk.md】. Check replicas【4:2†db.md】."


def _assistants():
    spans = []
    for marker, file_id in (("【4:0†disk.md】", "file-d"), ("【4:1†disk.md】", "file-d"), ("【4:2†db.md】", "file-b")):
        start = ASSISTANTS_TEXT.index(marker)
        spans.append(
            {
                "type": "file_citation",
                "text": marker,
                "start_index": start,
                "end_index": start + len(marker),
                "file_citation": {"file_id": file_id, "quote": "rotate logs" if file_id == "file-d" else None},
            }
        )
    cites = assistants_format.citations(spans)
    names = {"file-d": "disk.md", "file-b": "db.md"}
    from dataclasses import replace

    return [replace(c, filename=names[c.file_id]) for c in cites]


def test_footnotes_replace_assistants_markers_and_list_the_sources_once():
    text, cites = render(ASSISTANTS_TEXT, _assistants(), "footnotes")
    assert text == (
        'Rotate logs[1] and grow the volume[1]. Check replicas[2].\n\nSources:\n[1] disk.md: "rotate logs"\n[2] db.md'
    )
    assert [c.number for c in cites] == [1, 1, 2]
    assert cites[0].start_index == ASSISTANTS_TEXT.index("【")  # offsets stay those of the server's text


def test_strip_removes_the_markers():
    text, _ = render(ASSISTANTS_TEXT, _assistants(), "strip")
    assert text == "Rotate logs and grow the volume. Check replicas."


def test_raw_leaves_the_text_alone():
    assert render(ASSISTANTS_TEXT, _assistants(), "raw")[0] == ASSISTANTS_TEXT


def test_responses_file_citations_are_inserted_at_their_index():
    text = "Rotate the logs. Then grow the volume."
    cites = responses_format.citations(
        [
            {"type": "file_citation", "file_id": "file-d", "filename": "disk.md", "index": 16},
            {"type": "url_citation", "url": "https://x.example/r", "title": "R", "start_index": 22, "end_index": 38},
        ]
    )
    rendered, _ = render(text, cites, "footnotes")
    assert (
        rendered == "Rotate the logs.[1] Then grow the volume.[2]\n\nSources:\n[1] disk.md\n[2] R <https://x.example/r>"
    )
    assert render(text, cites, "strip")[0] == text  # nothing to strip on Responses


def test_citations_of_several_text_parts_count_in_the_joined_text():
    cites = responses_format.citations(
        [{"type": "file_citation", "file_id": "f", "filename": "a.md", "index": 3}], part=2
    )
    text, moved = join_parts(["first", "", "abc!"], cites)
    assert text == "first\n\nabc!" and moved[0].start_index == len("first\n\n") + 3 and moved[0].part is None


def test_an_unknown_mode_names_the_setting():
    with pytest.raises(ConfigError, match="citations"):
        check_mode("endnotes")
