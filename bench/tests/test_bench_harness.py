"""The harness's own parts, against a real emulator over real HTTP (server times scaled to 0).

Run: .venv/bin/python -m pytest bench/tests   (not part of `make test`: the bench is its own tool)
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import openai
import pytest

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH / "contenders"))

import _common  # noqa: E402
import report  # noqa: E402
from before_report import before_section  # noqa: E402
from emulator_host import BenchServer, server_seconds  # noqa: E402


@pytest.fixture(scope="module")
def server():
    srv = BenchServer(plain_turns=2, tool_turns=2, time_scale=0.0).start()
    yield srv
    srv.stop()


def _client(server: BenchServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="sk-test", max_retries=0)


def _create(client: openai.OpenAI, **body) -> dict:
    """POST /responses through the SDK's generic request method (openai 1.37.1 has no
    typed `responses` resource; the bench's tests run in both project environments)."""
    return client.post("/responses", body=body, cast_to=object)


def _text(response: dict) -> str:
    return "".join(
        part["text"]
        for item in response["output"]
        if item["type"] == "message"
        for part in item["content"]
        if part["type"] == "output_text"
    )


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_rate_limiter_answers_429_in_openai_shape_and_counts_them(server):
    _post(f"{server.url}/_bench/rate_limit", {"rate": 1.0})
    try:
        with pytest.raises(openai.RateLimitError) as caught:
            _create(_client(server), model="m", input="plain turn 0")
        assert caught.value.status_code == 429
        assert caught.value.body["code"] == "rate_limit_exceeded"
    finally:
        report_ = _post(f"{server.url}/_bench/rate_limit", {"rate": 0})
    assert report_["sent"] == 1 and report_["seen"] == 1
    # switched off: the same request gets through to the emulator
    assert _create(_client(server), model="m", input="plain turn 0")["status"] == "completed"


def _sdk_tool_loop(client: openai.OpenAI, prompt: str, *, stateless: bool) -> list[str]:
    """Run a turn the way the SDK contender does (or resending the whole history) and return
    the keys the model asked to look up, round by round."""
    tools = [{"type": "function", "name": "lookup", "parameters": _common.LOOKUP_SCHEMA, "strict": True}]
    history: list = [{"role": "user", "content": prompt}]
    response = _create(client, model="m", input=history, tools=tools)
    asked = []
    for _ in range(5):
        calls = [i for i in response["output"] if i["type"] == "function_call"]
        if not calls:
            break
        keys = [json.loads(c["arguments"])["key"] for c in calls]
        asked += keys
        outputs = [
            {
                "type": "function_call_output",
                "call_id": c["call_id"],
                "output": json.dumps({"key": k, "value": "v-" + k}),
            }
            for c, k in zip(calls, keys, strict=True)
        ]
        if stateless:
            history += [{k: c[k] for k in ("type", "call_id", "name", "arguments")} for c in calls] + outputs
            response = _create(client, model="m", input=history, tools=tools)
        else:
            response = _create(client, model="m", input=outputs, tools=tools, previous_response_id=response["id"])
    assert _text(response).startswith("done")
    return asked


@pytest.mark.parametrize("stateless", [False, True])
def test_two_tool_rounds_whether_history_is_stored_or_resent(server, stateless):
    assert _sdk_tool_loop(_client(server), "tools2 turn 1", stateless=stateless) == ["a1", "b1"]


def test_plain_turn_answers_the_fixed_reply(server):
    text = _text(_create(_client(server), model="m", input="plain turn 1"))
    assert len(text.split()) == 50


def test_server_time_offsets_spread_over_one_second():
    assert [server_seconds("plain", i, 4) for i in range(4)] == [2.0, 2.25, 2.5, 2.75]
    assert server_seconds("tools2", 1, 2) == 3 * 1.5 + 1.0


def test_request_paths_are_shaped_by_kind():
    assert _common._shape("/v1/threads/thread_ab12/runs/run_9") == "/threads/{id}/runs/{id}"
    assert _common._shape("/v1/responses") == "/responses"


def test_percentile_interpolates():
    assert report.pct([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert report.pct([], 0.5) is None


def _row(name: str, *, added: float, requests: float, cpu: float, failed: int, ratio: float) -> dict:
    block = {"added_p50_ms": added, "requests_per_turn": requests, "cpu_ms_per_turn": cpu}
    return {
        "name": name,
        "api": name.split("-")[1],
        "plain": block,
        "tools2": block,
        "par": {"ratio": ratio},
        "burst": {"failed": failed, "n": 200},
    }


def test_targets_say_met_and_not_met_from_the_figures():
    rows = [
        _row("ours-responses-stream", added=40, requests=2, cpu=4, failed=0, ratio=1.1),
        _row("sdk-responses", added=30, requests=1, cpu=3, failed=2, ratio=8.0),
    ]
    verdicts = {t: v for t, _, v in report.targets(rows)}
    assert verdicts["ours-responses-stream: plain added latency p50 <= 50 ms"] == "met"
    assert verdicts["ours-responses-stream: plain requests/turn <= sdk-responses"] == "**not met**"
    assert verdicts["ours-responses-stream: 8 parallel calls within 1.2x of one"] == "met"
    assert verdicts["ours-assistants-stream: plain added latency p50 <= 50 ms"] == "not measured"


def test_markdown_lists_a_contender_that_could_not_run():
    contender = SimpleNamespace(name="langchain", label="LangChain", api="assistants", streamed=False)
    outcome = SimpleNamespace(contender=contender, data={}, error="could not be installed: boom", seconds=0.0)
    summary = report.summarize(
        outcomes=[outcome], machine={"cpu": "c", "cores": "2", "os": "o", "python": "3", "date": "d"}, workload_args=[]
    )
    text = report.markdown(summary, plots=[])
    assert "not measured: could not be installed: boom" in text


def test_continued_turns_answer_the_fixed_reply_on_an_existing_conversation(server):
    client = _client(server)
    first = _create(client, model="m", input="continued warm up")
    text = _text(_create(client, model="m", input="continued turn 1", previous_response_id=first["id"]))
    assert len(text.split()) == 50
    assert server_seconds("continued", 1, 4) == server_seconds("plain", 1, 4)


def test_helper_targets_compare_with_the_sdk_streaming_helper_and_count_continued_requests():
    ours = _row("ours-responses-stream", added=20, requests=2, cpu=4, failed=0, ratio=1.0)
    ours["continued"] = {"added_p50_ms": 30, "requests_per_turn": 2.0, "cpu_ms_per_turn": 4}
    helper = _row("sdk-responses-stream", added=25, requests=1, cpu=9, failed=0, ratio=8.0)
    helper["continued"] = {"added_p50_ms": 25, "requests_per_turn": 1.0, "cpu_ms_per_turn": 9}
    verdicts = {t: v for t, _, v in report.targets([ours, helper])}
    assert verdicts["ours-responses-stream: plain added p50 <= sdk-responses-stream's"] == "met"
    assert verdicts["ours-responses-stream: continued added p50 <= sdk-responses-stream's"] == "**not met**"
    assert verdicts["ours-responses-stream: plain CPU / turn <= sdk-responses-stream's"] == "met"
    assert verdicts["ours-responses-stream: a continued turn is 1 request"] == "**not met**"
    assert verdicts["ours-keep-responses-stream: plain added p50 <= sdk-responses-stream's"] == "not measured"


def _block(walls: list[float], *, cpu_s: float, requests: int) -> dict:
    return {
        "n": len(walls),
        "turns": [{"wall_s": w, "ttft_s": None, "error": None} for w in walls],
        "cpu_s_per_turn": cpu_s,
        "requests": {"total": requests, "by_kind": {"POST /responses": requests}},
        "peak_rss_mb": 50.0,
    }


def test_rounds_pool_turns_with_their_offsets_and_average_cpu():
    import rounds

    n = 2
    # every turn of both rounds exactly 5 ms over its own server time (offsets differ by index)
    walls = [server_seconds("plain", i, n) + 0.005 for i in range(n)]
    main = {"plain": _block(walls, cpu_s=0.010, requests=2)}
    extra = {"plain": _block(walls, cpu_s=0.020, requests=2), "continued": _block(walls, cpu_s=0.1, requests=2)}
    rounds.pool(main, extra)
    block = main["plain"]
    assert block["n"] == 4 and block["rounds"] == 2 and [t["i"] for t in block["turns"]] == [0, 1, 0, 1]
    assert block["cpu_s_per_turn"] == pytest.approx(0.015)
    assert block["requests"] == {"total": 4, "by_kind": {"POST /responses": 4}}
    assert "continued" not in main  # only what the main pass measured is pooled
    figures = report._sequential(block, "plain")
    assert figures["added_p50_ms"] == pytest.approx(5.0) and figures["added_p95_ms"] == pytest.approx(5.0)
    assert figures["requests_per_turn"] == 1.0 and figures["rounds"] == 2


def test_rounds_alternate_the_order_and_leave_out_a_failed_round():
    import rounds

    names = ["ours-responses-stream", "sdk-responses-stream"]
    assert rounds.order(names, 1) == names[::-1] and rounds.order(names, 2) == names
    walls = [server_seconds("plain", i, 2) for i in range(2)]
    outcomes = [
        SimpleNamespace(
            contender=SimpleNamespace(name=name), error=None, data={"plain": _block(walls, cpu_s=0.0, requests=2)}
        )
        for name in names
    ]
    ran: list[tuple[str, list[str]]] = []

    def run(contender, extra):
        ran.append((contender.name, extra))
        failed = contender.name == "sdk-responses-stream" and len(ran) > 2
        data = {"plain": _block(walls, cpu_s=0.0, requests=2)}
        return SimpleNamespace(error="boom" if failed else None, data=data, seconds=1.0)

    rounds.run_rounds(outcomes, rounds=2, run=run, log=lambda _m: None)
    assert [name for name, _ in ran] == [*names[::-1], *names]
    assert all(extra == ["--only", "plain,continued"] for _, extra in ran)
    assert outcomes[0].data["plain"]["n"] == 6  # two rounds pooled
    assert outcomes[1].data["plain"]["n"] == 4  # its second round failed: left out


def _burst(walls: list[float], *, wall: float, failed: int = 0) -> dict:
    return {
        "n": len(walls),
        "wall_s": wall,
        "failed": failed,
        "errors": ["RateLimitError: 429"] if failed else [],
        "turn_wall_s": walls,
        "requests": {"total": 2 * len(walls), "by_kind": {"POST /responses": 2 * len(walls)}},
        "injected_429": len(walls) // 2,
        "peak_rss_mb": 60.0,
    }


def test_bursts_pool_their_turns_and_the_wall_and_the_turn_percentiles_are_the_medians_of_the_rounds():
    import rounds

    main = {"burst": _burst([1.0, 2.0], wall=2.0)}
    for walls, wall, failed in (([1.0, 9.0], 9.0, 1), ([3.0, 1.0], 3.0, 0)):
        rounds.pool(main, {"burst": _burst(walls, wall=wall, failed=failed)}, workloads=rounds.BEFORE_WORKLOADS)
    block = main["burst"]
    assert block["walls_s"] == [2.0, 9.0, 3.0] and block["wall_s"] == 3.0 and block["rounds"] == 3
    assert block["n"] == 6 and block["failed"] == 1 and block["injected_429"] == 3
    assert block["requests"] == {"total": 12, "by_kind": {"POST /responses": 12}}
    outcome = SimpleNamespace(
        contender=SimpleNamespace(name="ours", label="ours", api="responses", streamed=True),
        data=main,
        error=None,
        seconds=0.0,
    )
    row = report.summarize(outcomes=[outcome], machine={}, workload_args=[])["rows"][0]["burst"]
    assert row["wall_s"] == 3.0 and row["rounds"] == 3 and row["turn_max_s"] == 9.0
    assert block["round_turn_wall_s"] == [[1.0, 2.0], [1.0, 9.0], [3.0, 1.0]]
    # each round's own p50 / p95 (1.5 5.0 2.0 / 1.95 8.6 2.9), judged by their medians: the one
    # round with a 9 s turn does not decide the tail, as it would over every turn pooled (7.5)
    assert row["turn_p50s_s"] == pytest.approx([1.5, 5.0, 2.0]) and row["turn_p50_s"] == pytest.approx(2.0)
    assert row["turn_p95s_s"] == pytest.approx([1.95, 8.6, 2.9]) and row["turn_p95_s"] == pytest.approx(2.9)
    assert row["turn_p95_pooled_s"] == pytest.approx(7.5)


def test_a_single_burst_is_judged_by_its_own_percentiles():
    outcome = SimpleNamespace(
        contender=SimpleNamespace(name="ours", label="ours", api="responses", streamed=True),
        data={"burst": _burst([1.0, 2.0, 3.0, 10.0], wall=10.0)},
        error=None,
        seconds=0.0,
    )
    row = report.summarize(outcomes=[outcome], machine={}, workload_args=[])["rows"][0]["burst"]
    assert row["rounds"] == 1 and row["turn_p50_s"] == pytest.approx(2.5)
    assert row["turn_p95_s"] == row["turn_p95_pooled_s"] == pytest.approx(8.95)


def test_each_mode_runs_its_rounds_beside_its_before_twin_and_both_pool_alike():
    import rounds

    walls = [server_seconds("plain", i, 2) for i in range(2)]

    def outcome(name: str, twin: str | None = None):
        data = {"plain": _block(walls, cpu_s=0.0, requests=2), "burst": _burst([1.0, 1.0], wall=1.0)}
        return SimpleNamespace(contender=SimpleNamespace(name=name, twin=twin), error=None, data=data)

    outcomes = [
        outcome("ours-a"),
        outcome("before-a", "ours-a"),
        outcome("ours-b"),
        outcome("before-b", "ours-b"),
        outcome("sdk"),
    ]
    ran: list[tuple[str, list[str]]] = []

    def run(contender, extra):
        ran.append((contender.name, extra))
        failed = contender.name == "ours-b" and len(ran) > 4  # its second round
        data = {"plain": _block(walls, cpu_s=0.0, requests=2), "burst": _burst([2.0, 2.0], wall=2.0)}
        return SimpleNamespace(error="boom" if failed else None, data=data, seconds=1.0)

    said: list[str] = []
    rounds.run_before_rounds(outcomes, rounds=2, run=run, log=said.append)
    assert [name for name, _ in ran] == [
        *("before-a", "ours-a", "before-b", "ours-b"),
        *("ours-a", "before-a", "ours-b", "before-b"),
    ]
    assert all(extra == ["--only", "plain,continued,tools2,burst,burst_on"] for _, extra in ran)
    by = {o.contender.name: o.data for o in outcomes}
    assert by["ours-a"]["plain"]["n"] == by["before-a"]["plain"]["n"] == 6
    assert by["ours-a"]["burst"]["walls_s"] == by["before-a"]["burst"]["walls_s"] == [1.0, 2.0, 2.0]
    # ours-b failed its second round: its twin's round is left out too, so both pooled two passes
    assert by["ours-b"]["plain"]["n"] == by["before-b"]["plain"]["n"] == 4
    assert by["sdk"]["plain"]["n"] == 2  # no twin: no rounds
    assert any("round 3 of ours-b and its twin left out: ours-b: boom" in line for line in said)


def test_the_noisy_rounds_run_only_the_tool_and_burst_workloads_and_go_on_alternating():
    import rounds

    def outcome(name: str, twin: str | None = None):
        walls = [server_seconds("plain", i, 2) for i in range(2)]
        data = {
            "plain": _block(walls, cpu_s=0.01, requests=2),
            "tools2": _block([4.0, 4.5], cpu_s=0.02, requests=6),
            "burst": _burst([1.0, 1.0], wall=1.0),
        }
        return SimpleNamespace(contender=SimpleNamespace(name=name, twin=twin), error=None, data=data)

    outcomes = [outcome("ours-a"), outcome("before-a", "ours-a")]
    ran: list[tuple[str, list[str]]] = []

    def run(contender, extra):
        ran.append((contender.name, extra))
        data = {"tools2": _block([4.0, 4.5], cpu_s=0.04, requests=6), "burst": _burst([3.0, 3.0], wall=3.0)}
        return SimpleNamespace(error=None, data=data, seconds=1.0)

    rounds.run_before_rounds(outcomes, rounds=3, run=run, workloads=rounds.NOISY_WORKLOADS, first=3, log=print)
    # rounds 3, 4 and 5: the order goes on from the two full rounds (round 3 is odd: before first)
    assert [name for name, _ in ran] == ["before-a", "ours-a", "ours-a", "before-a", "before-a", "ours-a"]
    assert all(extra == ["--only", "tools2,burst,burst_on"] for _, extra in ran)
    for data in (o.data for o in outcomes):
        assert data["plain"]["n"] == 2 and "rounds" not in data["plain"]  # not run again, not pooled
        assert data["tools2"]["n"] == 8 and data["tools2"]["rounds"] == 4
        assert data["tools2"]["cpu_s_per_turn"] == pytest.approx((0.02 * 2 + 0.04 * 6) / 8)
        assert data["burst"]["walls_s"] == [1.0, 3.0, 3.0, 3.0] and data["burst"]["wall_s"] == 3.0


def test_the_before_section_says_how_many_passes_each_kind_of_workload_pooled():
    from before_report import _passes

    rows = [{"plain": {"rounds": 6}, "burst": {"rounds": 7}}, {"plain": {"rounds": 3}, "burst": {"rounds": 7}}]
    said = _passes({"rows": rows})
    assert said.startswith(" in 3 or more passes of every workload and 7 of the 2-tool-round and both burst")
    assert _passes({"rows": [{"plain": {"rounds": 3}, "burst": {"rounds": 3}}]}).startswith(" in 3 or more passes")
    assert _passes({"rows": [{"plain": {}, "burst": {}}]}) == ""


# -- run.py --before: the package as it was at a git ref, beside the package as it is ----------


def _responses_twin(ref: str):
    import run

    now = next(c for c in run.CONTENDERS if c.name == "ours-responses-stream")
    return run, run.before_twin(now, ref)


def _run_twin(server: BenchServer, tmp_path: Path, monkeypatch, source: str):
    run, twin = _responses_twin("HEAD")
    monkeypatch.setattr(run, "OUT", tmp_path)
    workload = ["--plain-turns", "1", "--tool-turns", "1", "--burst", "2", "--only", "plain"]
    return run.run_contender(twin, base_url=f"{server.url}/v1", assistants={}, workload_args=workload, source=source)


def test_a_before_twin_imports_the_package_from_the_exported_tree(server, tmp_path, monkeypatch):
    from git_export import exported_source

    with exported_source("HEAD") as source:
        outcome = _run_twin(server, tmp_path, monkeypatch, source)
        imported = outcome.data["imported"]["openaiassistant"]
        assert outcome.error is None and not outcome.wrong_source
        assert Path(imported).resolve().is_relative_to(Path(source).resolve())
        assert (Path(source) / "openaiassistant" / "__init__.py").exists()
    assert outcome.data["plain"]["turns"][0]["error"] is None


def test_a_before_twin_that_imported_the_working_tree_is_a_harness_error(server, tmp_path, monkeypatch):
    empty = tmp_path / "no-package-here"  # on PYTHONPATH, but without openaiassistant in it
    empty.mkdir()
    outcome = _run_twin(server, tmp_path, monkeypatch, str(empty))
    assert outcome.wrong_source
    assert outcome.data == {}  # its figures (the working tree's) are not reported under the old name
    assert f"not from the export of HEAD ({empty})" in outcome.error
    assert str(BENCH.parent / "src" / "openaiassistant") in outcome.error


def test_each_before_twin_runs_right_after_its_twin_and_only_with_a_ref():
    import run

    names = [c.name for c in run.line_up(only=[], before="abc123")]
    for now in run.BEFORE_TWINS:
        twin = "before-" + now.removeprefix("ours-")
        assert names[names.index(now) + 1] == twin
    assert not [c for c in run.line_up(only=[], before=None) if c.before]
    chosen = run.line_up(only=["before-responses-poll"], before="abc123")
    assert [(c.name, c.before, c.twin) for c in chosen] == [("before-responses-poll", "abc123", "ours-responses-poll")]


def _figures(added: float, requests: float, *, continued: bool, failed: int) -> dict:
    block = {"added_p50_ms": added, "requests_per_turn": requests, "cpu_ms_per_turn": 3.0, "n": 2}
    block |= {"failed": 0, "errors": [], "requests_by_kind": {"POST /responses": 2 * requests}}
    return {
        "plain": block,
        "continued": block if continued else None,
        "tools2": None,
        "burst": {"failed": failed, "n": 200, "wall_s": 9.0, "errors": ["RateLimitError: 429"] if failed else []},
        "rss_mb": 80.0,
        "error": None,
    }


def test_the_before_section_compares_each_mode_and_says_regression_and_not_measured():
    now = {"name": "ours-responses-stream", "label": "streamed", **_figures(20, 2, continued=True, failed=3)}
    then = {"name": "before-responses-stream", "twin": "ours-responses-stream", "label": "streamed [code at r]"}
    then |= _figures(30, 2, continued=False, failed=0)
    before = {"ref": "r1", "commit": "r1" + "0" * 38, "date": "2026-11-29", "rows": [then]}
    text = "\n".join(before_section(before, [now]))
    assert "## Against the code before the house rework (r1)" in text
    assert "| plain turn: added p50 | 20 ms | 30 ms | x0.67 | no regression |" in text
    assert "| continued turn: added p50 | 20 ms | – | – | not measured |" in text
    assert "| burst: failed turns | 3 | 0 | +3 (before 0) | **regression** |" in text
    assert (
        "**Regressions beyond the allowances: 1, of which 1 not accounted for by a known change of what a turn "
        "sends.** ours-responses-stream: burst: failed turns 3 now, 0 before." in text
    )
    assert "this report has no notes for r1" in text


def test_a_summary_keeps_the_before_twins_apart_from_the_contenders():
    def outcome(name: str, before: str | None):
        c = SimpleNamespace(name=name, label=name, api="responses", streamed=True, before=before, twin=None)
        return SimpleNamespace(contender=c, data={}, error="boom", seconds=0.0)

    summary = report.summarize(
        outcomes=[outcome("ours-responses-stream", None), outcome("before-responses-stream", "r1")],
        machine={},
        workload_args=[],
        before={"ref": "r1"},
    )
    assert [r["name"] for r in summary["rows"]] == ["ours-responses-stream"]
    assert [r["name"] for r in summary["before"]["rows"]] == ["before-responses-stream"]


def _assistants(kinds: dict[str, int]) -> dict:
    block = {"added_p50_ms": 10.0, "cpu_ms_per_turn": 3.0, "n": 2, "failed": 0, "errors": []}
    block |= {"requests_per_turn": sum(kinds.values()) / 2, "requests_by_kind": kinds}
    return {"plain": block, "continued": None, "tools2": None, "burst": None, "rss_mb": None, "error": None}


def _assistants_section(now_kinds: dict[str, int]) -> str:
    now = {"name": "ours-assistants-stream", "label": "assistants", **_assistants(now_kinds)}
    then = {"name": "before-assistants-stream", "twin": "ours-assistants-stream", "label": "assistants [r]"}
    then |= _assistants({"POST /threads/runs": 2})
    before = {"ref": "r1", "commit": "r1" + "0" * 38, "date": "2026-11-29", "rows": [then]}
    return "\n".join(before_section(before, [now]))


def test_a_request_count_over_only_by_a_known_change_says_which():
    text = _assistants_section({"POST /threads": 2, "POST /threads/{id}/runs": 2})
    assert "| requests / plain turn | 2.0 | 1.0 | x2.00 | **regression**: Assistants' thread first (issue 10) |" in text
    assert "**Regressions beyond the allowances: 1, of which 0 not accounted for" in text


def test_a_request_count_over_by_more_than_the_known_change_is_not_accounted_for():
    text = _assistants_section({"POST /threads": 2, "POST /threads/{id}/runs": 2, "GET /threads/{id}/runs": 2})
    assert "| requests / plain turn | 3.0 | 1.0 | x3.00 | **regression** |" in text
    assert "**Regressions beyond the allowances: 1, of which 1 not accounted for" in text


def test_the_burst_on_existing_conversations_sends_no_conversation_create(server, tmp_path, monkeypatch):
    import run

    monkeypatch.setattr(run, "OUT", tmp_path)
    now = next(c for c in run.CONTENDERS if c.name == "ours-responses-stream")
    workload = [
        "--plain-turns",
        "1",
        "--tool-turns",
        "1",
        "--burst",
        "4",
        "--burst-rate",
        "0",
        "--only",
        "burst,burst_on",
    ]
    outcome = run.run_contender(now, base_url=f"{server.url}/v1", assistants={}, workload_args=workload, source=None)
    assert outcome.error is None
    assert outcome.data["burst"]["requests"]["by_kind"] == {"POST /conversations": 4, "POST /responses": 4}
    assert outcome.data["burst_on"]["requests"]["by_kind"] == {"POST /responses": 4}
    assert outcome.data["burst_on"]["failed"] == 0 and len(outcome.data["burst_on"]["turn_wall_s"]) == 4


def _assistants_burst(kinds: dict[str, int], *, wall: float, wall_on: float) -> dict:
    row = _assistants({"POST /threads/runs": 2})
    row["burst"] = {"n": 200, "failed": 0, "errors": [], "wall_s": wall, "requests_by_kind": kinds}
    on_kinds = {"POST /threads/{id}/runs": 200}
    row["burst_on"] = {"n": 200, "failed": 0, "errors": [], "wall_s": wall_on, "requests_by_kind": on_kinds}
    return row


def _burst_section(*, wall_on_now: float) -> str:
    kinds_now = {"POST /threads": 200, "POST /threads/{id}/runs": 200}
    now = {"name": "ours-assistants-stream", "label": "assistants"}
    now |= _assistants_burst(kinds_now, wall=5.0, wall_on=wall_on_now)
    then = {"name": "before-assistants-stream", "twin": "ours-assistants-stream", "label": "assistants [r]"}
    then |= _assistants_burst({"POST /threads/runs": 200}, wall=2.8, wall_on=2.5)
    before = {"ref": "r1", "commit": "r1" + "0" * 38, "date": "2026-11-29", "rows": [then]}
    return "\n".join(before_section(before, [now]))


def test_a_burst_time_over_only_by_a_known_change_is_accounted_for_by_the_burst_on_existing_conversations():
    text = _burst_section(wall_on_now=2.9)
    assert (
        "| burst: wall time (median of the rounds) | 5.0 s | 2.8 s | x1.79 | **regression**: Assistants' thread" in text
    )
    assert "| burst on existing conversations: wall time (median) | 2.9 s | 2.5 s | x1.16 | no regression |" in text
    assert "**Regressions beyond the allowances: 1, of which 0 not accounted for" in text
    assert "where it adds no request, 2.9 s now, 2.5 s before, within the allowance" in text


def test_a_burst_time_over_on_existing_conversations_too_is_not_accounted_for():
    text = _burst_section(wall_on_now=4.5)
    assert "| burst: wall time (median of the rounds) | 5.0 s | 2.8 s | x1.79 | **regression** |" in text
    assert "| burst on existing conversations: wall time (median) | 4.5 s | 2.5 s | x1.80 | **regression** |" in text
    assert "**Regressions beyond the allowances: 2, of which 2 not accounted for" in text


def test_the_before_section_shows_each_pass_of_a_pooled_burst_and_judges_the_median():
    def row(name: str, p95s: list[float], **extra: str) -> dict:
        burst = {"n": 600, "failed": 0, "errors": [], "rounds": 3, "walls_s": [3.0, 7.8, 3.4], "wall_s": 3.4}
        burst |= {"turn_p95s_s": p95s, "turn_p95_s": sorted(p95s)[1], "turn_p95_pooled_s": max(p95s)}
        return {"name": name, "label": name, "burst": burst, "error": None, **extra}

    now = row("ours-responses-quiet", [2.1, 6.0, 2.4])
    then = row("before-responses-quiet", [1.9, 2.0, 2.2], twin="ours-responses-quiet")
    before = {"ref": "r1", "commit": "r1" + "0" * 38, "date": "2026-11-29", "rows": [then]}
    text = "\n".join(before_section(before, [now]))
    assert "| burst: turn p95 (median of the rounds) | 2.4 s | 2.0 s | x1.20 | no regression |" in text
    assert (
        "Burst, pass by pass (s): now walls 3.0/7.8/3.4, turn p95 2.1/6.0/2.4 (over every turn pooled 6.0 s); "
        "before walls 3.0/7.8/3.4, turn p95 1.9/2.0/2.2 (over every turn pooled 2.2 s)." in text
    )
