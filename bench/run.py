"""`make bench`: every contender on the same workloads against one emulator, one run.

    .venv/bin/python bench/run.py [--quick] [--only NAME,NAME] [--no-plots] [--before REF]

1. builds the contenders' venvs from bench/requirements/*.txt (first run only; see envs.py);
2. starts ONE emulator on 127.0.0.1 with fixed behaviour (emulator_host.py);
3. creates the stored assistants the Assistants-API contenders use;
4. runs each contender as a subprocess in its venv (contenders/*.py), which writes JSON;
5. writes docs/benchmarks.md (report.py) and docs/bench/*.png (plots.py, in the plots venv).

``--before REF`` adds a "before" twin of this project's main modes (BEFORE_TWINS): the same
contender script and venv with the package's ``src`` exported from git REF first on its
``PYTHONPATH`` (git_export.py), run right after its twin in the same run against the same
emulator. A twin that imported any other ``openaiassistant`` than the export is an error of the
harness (the run exits 1). Each mode and its twin then run more rounds side by side
(``--before-rounds``: every workload; ``--noisy-rounds``: the 2-tool-round and burst ones alone;
rounds.py). The report compares each mode now with before.

It exits non-zero only when something errored (the harness itself, or no contender could run),
never because a figure missed a target.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import envs  # noqa: E402
import report  # noqa: E402
import rounds  # noqa: E402
from emulator_host import BenchServer  # noqa: E402
from git_export import describe_ref, exported_source, imported_from, source_first  # noqa: E402

OUT = BENCH / "out"
CONTENDER_TIMEOUT = 420


@dataclass(frozen=True, kw_only=True)
class Contender:
    name: str
    label: str
    api: str  # responses | assistants | chat
    script: str  # bench/contenders/<script>
    venv: str | None = None  # bench venv name; None: the harness's own (.venv)
    args: tuple[str, ...] = ()
    assistant: str | None = None  # "bare" | "tools": which stored assistant it gets
    streamed: bool = False
    # an interpreter this project's Makefile builds (not a bench venv), e.g. Keep's environment
    external_python: str | None = None
    before: str | None = None  # a git ref: the package's src as it was there (--before)
    twin: str | None = None  # the contender this one is the "before" twin of


CONTENDERS = [
    Contender(
        name="ours-responses-stream",
        label="this project, Responses, streamed",
        api="responses",
        script="ours.py",
        args=("--api", "responses", "--mode", "stream"),
        streamed=True,
    ),
    Contender(
        name="ours-responses-stream-spare",
        label="this project, Responses, streamed, spare_threads on",
        api="responses",
        script="ours.py",
        args=("--api", "responses", "--mode", "stream", "--spare-threads"),
        streamed=True,
    ),
    Contender(
        name="ours-responses-poll",
        label="this project, Responses, polled (transport=poll)",
        api="responses",
        script="ours.py",
        args=("--api", "responses", "--mode", "poll"),
    ),
    Contender(
        name="ours-responses-quiet",
        label="this project, Responses, stream=False (event-stream transport)",
        api="responses",
        script="ours.py",
        args=("--api", "responses", "--mode", "quiet"),
    ),
    Contender(
        name="ours-assistants-stream",
        label="this project, Assistants, streamed",
        api="assistants",
        script="ours.py",
        args=("--api", "assistants", "--mode", "stream"),
        assistant="bare",
        streamed=True,
    ),
    Contender(
        name="ours-assistants-quiet",
        label="this project, Assistants, stream=False (event-stream transport)",
        api="assistants",
        script="ours.py",
        args=("--api", "assistants", "--mode", "quiet"),
        assistant="bare",
    ),
    Contender(
        name="ours-assistants-poll",
        label="this project, Assistants, polled (transport=poll)",
        api="assistants",
        script="ours.py",
        args=("--api", "assistants", "--mode", "poll"),
        assistant="bare",
    ),
    # backend: chat, on the emulator's /v1/chat/completions (the conversation in a SQLite registry)
    Contender(
        name="ours-chat-stream",
        label="this project, chat completions, streamed",
        api="chat",
        script="ours.py",
        args=("--api", "chat", "--mode", "stream"),
        streamed=True,
    ),
    Contender(
        name="ours-chat-quiet",
        label="this project, chat completions, stream=False (event-stream transport)",
        api="chat",
        script="ours.py",
        args=("--api", "chat", "--mode", "quiet"),
    ),
    Contender(
        name="ours-chat-poll",
        label="this project, chat completions, plain requests (transport=poll)",
        api="chat",
        script="ours.py",
        args=("--api", "chat", "--mode", "poll"),
    ),
    # the same engine inside Keep's pinned environment (openai 1.37.1, httpx 0.26), as Keep runs it
    Contender(
        name="ours-keep-responses-stream",
        label="this project in Keep's env, Responses, streamed",
        api="responses",
        script="ours.py",
        args=("--api", "responses", "--mode", "stream"),
        streamed=True,
        external_python=".venv-keep/bin/python",
    ),
    Contender(
        name="ours-keep-assistants-stream",
        label="this project in Keep's env, Assistants, streamed",
        api="assistants",
        script="ours.py",
        args=("--api", "assistants", "--mode", "stream"),
        streamed=True,
        assistant="bare",
        external_python=".venv-keep/bin/python",
    ),
    Contender(
        name="ours-keep-chat-stream",
        label="this project in Keep's env, chat completions, streamed",
        api="chat",
        script="ours.py",
        args=("--api", "chat", "--mode", "stream"),
        streamed=True,
        external_python=".venv-keep/bin/python",
    ),
    Contender(
        name="sdk-chat",
        label="openai SDK chat.completions.create tool loop (messages resent)",
        api="chat",
        script="sdk_chat.py",
    ),
    Contender(
        name="sdk-assistants",
        label="openai SDK create_and_poll + submit_tool_outputs_and_poll",
        api="assistants",
        script="sdk_assistants.py",
        assistant="tools",
    ),
    Contender(
        name="sdk-responses", label="openai SDK responses.create tool loop", api="responses", script="sdk_responses.py"
    ),
    # the SDK's own streaming helper: what this project's streamed Responses turn is held against
    Contender(
        name="sdk-responses-stream",
        label="openai SDK responses.stream helper tool loop",
        api="responses",
        script="sdk_responses_stream.py",
        streamed=True,
    ),
    Contender(
        name="seed-baseline",
        label="seed baseline (1 s poll sleep, tools in sequence)",
        api="assistants",
        script="seed_baseline.py",
        assistant="tools",
    ),
    Contender(
        name="langchain",
        label="LangChain OpenAIAssistantRunnable + AgentExecutor",
        api="assistants",
        script="langchain_assistant.py",
        venv="langchain",
        assistant="tools",
    ),
    Contender(
        name="llamaindex",
        label="LlamaIndex OpenAIAssistantAgent",
        api="assistants",
        script="llamaindex_assistant.py",
        venv="llamaindex",
        assistant="tools",
    ),
    Contender(
        name="openai-agents",
        label="OpenAI Agents SDK (Runner.run_streamed)",
        api="responses",
        script="openai_agents_responses.py",
        venv="openai_agents",
        streamed=True,
    ),
    Contender(
        name="pydantic-ai",
        label="pydantic-ai (OpenAIResponsesModel)",
        api="responses",
        script="pydantic_ai_responses.py",
        venv="pydantic_ai",
    ),
]


# This project's modes that get a "before" twin with --before REF (the ones issue 18 holds to "no
# regression"; chat completions and Keep's env have none: the former did not exist at bcc2894, the
# latter is another venv)
BEFORE_TWINS = ("ours-responses-stream", "ours-responses-quiet", "ours-responses-poll", "ours-assistants-stream")


def before_twin(c: Contender, ref: str) -> Contender:
    """``c`` run on the package as it was at git ``ref`` (same script, same venv, same args)."""
    return dataclasses.replace(
        c, name="before-" + c.name.removeprefix("ours-"), label=f"{c.label} [code at {ref}]", before=ref, twin=c.name
    )


def line_up(*, only: list[str], before: str | None) -> list[Contender]:
    """The contenders to run, in order; each "before" twin right after its twin (the two then
    meet the machine in the same state). ``only`` empty: all of them."""
    chosen = []
    for c in CONTENDERS:
        twins = [before_twin(c, before)] if before and c.name in BEFORE_TWINS else []
        chosen += [x for x in [c, *twins] if not only or x.name in only]
    return chosen


@dataclass(kw_only=True)
class Outcome:
    contender: Contender
    data: dict = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    wrong_source: bool = False  # a "before" twin that imported another openaiassistant than the export


def create_assistants(base_url: str) -> dict[str, str]:
    """One stored assistant without tools (this project sends its tools with every run) and one
    declaring `lookup` (the libraries that read tools from the stored assistant)."""
    import openai

    warnings.simplefilter("ignore", DeprecationWarning)  # every beta call warns in openai >= 2
    client = openai.OpenAI(base_url=base_url, api_key="sk-bench-local")
    params = {
        "type": "object",
        "properties": {"key": {"type": "string"}},
        "required": ["key"],
        "additionalProperties": False,
    }
    tool = {"type": "function", "function": {"name": "lookup", "description": "Look a key up.", "parameters": params}}
    bare = client.beta.assistants.create(model="gpt-4o-mini", name="bench-bare", instructions="You are a benchmark.")
    tools = client.beta.assistants.create(
        model="gpt-4o-mini", name="bench-tools", instructions="You are a benchmark.", tools=[tool]
    )
    return {"bare": bare.id, "tools": tools.id}


def _interpreter(c: Contender) -> Path | str:
    """The contender's python, or why there is none (a string)."""
    if c.external_python is not None:
        python = BENCH.parent / c.external_python
        return python if python.exists() else f"not measured: {c.external_python} is missing (run `make setup-keep`)"
    if c.venv is None:
        return Path(sys.executable)
    built = envs.ensure_venv(name=c.venv, log=lambda m: print(m, flush=True))
    return built.python if built.python is not None else f"could not be installed: {built.error}"


def _source_error(c: Contender, data: dict, source: str | None) -> str | None:
    """Why a "before" twin's figures are not the old package's (None: they are)."""
    imported = (data.get("imported") or {}).get("openaiassistant")
    if c.before is None or (data.get("fatal") and not imported):  # failed before importing: no figures
        return None
    if source is not None and imported_from(imported, source):
        return None
    return f"imported openaiassistant from {imported or '(not reported)'}, not from the export of {c.before} ({source})"


def run_contender(
    c: Contender, *, base_url: str, assistants: dict[str, str], workload_args: list[str], source: str | None = None
) -> Outcome:
    """Run one contender; ``source``: the exported src a "before" twin imports first."""
    started = time.monotonic()
    python = _interpreter(c)
    if isinstance(python, str):
        return Outcome(contender=c, error=python)
    if c.before is not None and source is None:
        return Outcome(contender=c, error=f"no export of {c.before} given", wrong_source=True)
    out = OUT / f"{c.name}.json"
    out.unlink(missing_ok=True)
    cmd = [
        str(python),
        str(BENCH / "contenders" / c.script),
        "--base-url",
        base_url,
        "--out",
        str(out),
        *c.args,
        *workload_args,
    ]
    if c.assistant:
        cmd += ["--assistant-id", assistants[c.assistant]]
    env = source_first(os.environ, source) if c.before is not None and source is not None else None
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CONTENDER_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return Outcome(
            contender=c, error=f"did not finish within {CONTENDER_TIMEOUT} s", seconds=time.monotonic() - started
        )
    seconds = time.monotonic() - started
    if not out.exists():
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        return Outcome(contender=c, error=f"exited {proc.returncode} without a report: {tail}", seconds=seconds)
    data = json.loads(out.read_text())
    wrong = _source_error(c, data, source)
    if wrong is not None:  # its figures would be the current tree's under the old name: drop them
        return Outcome(contender=c, error=wrong, seconds=seconds, wrong_source=True)
    return Outcome(contender=c, data=data, error=data.get("fatal"), seconds=seconds)


def machine() -> dict[str, str]:
    import openai

    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown"
    import os

    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "os": platform.platform(),
        "python": platform.python_version(),
        "harness openai": openai.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer turns and a 50-turn burst (a smoke run)")
    p.add_argument("--only", default="", help="comma-separated contender names")
    p.add_argument("--no-plots", action="store_true")
    p.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="extra interleaved rounds of the head-to-head contenders' plain and continued workloads "
        "(see rounds.py; default 3, --quick 1)",
    )
    p.add_argument(
        "--before-rounds",
        type=int,
        default=None,
        help="with --before: extra rounds of each mode beside its before twin (plain, continued, 2-tool-round "
        "and burst; see rounds.py; default 2, --quick 1)",
    )
    p.add_argument(
        "--noisy-rounds",
        type=int,
        default=None,
        help="with --before: then more rounds of each mode beside its twin of only the 2-tool-round and burst "
        "workloads, the figures one pass measures least surely (rounds.NOISY_WORKLOADS; default 4, --quick 0)",
    )
    p.add_argument("--docs", default=str(BENCH.parent / "docs"), help="where benchmarks.md and bench/ go")
    p.add_argument(
        "--render-only", action="store_true", help="no measuring: write the docs again from bench/out/summary.json"
    )
    p.add_argument(
        "--before",
        default=None,
        metavar="REF",
        help="also run this project's main modes on the package as it was at git REF (before-* contenders)",
    )
    a = p.parse_args(argv)
    if a.render_only:
        write_docs(summary=json.loads((OUT / "summary.json").read_text()), docs=Path(a.docs), plots=not a.no_plots)
        return 0
    plain_turns, tool_turns, burst = (3, 2, 50) if a.quick else (8, 4, 200)
    workload_args = ["--plain-turns", str(plain_turns), "--tool-turns", str(tool_turns), "--burst", str(burst)]
    only = [n for n in a.only.split(",") if n]
    chosen = line_up(only=only, before=a.before)
    if not a.before and any(n.startswith("before-") for n in only):
        p.error("before-* contenders need --before REF")
    before = describe_ref(a.before) if a.before else None  # an unknown ref fails here, before measuring
    OUT.mkdir(exist_ok=True)
    server = BenchServer(plain_turns=plain_turns, tool_turns=tool_turns).start()
    try:
        outcomes = measure(
            chosen,
            base_url=f"{server.url}/v1",
            workload_args=workload_args,
            before=a.before,
            extra_rounds=a.rounds if a.rounds is not None else (1 if a.quick else 3),
            before_rounds=a.before_rounds if a.before_rounds is not None else (1 if a.quick else 2),
            noisy_rounds=a.noisy_rounds if a.noisy_rounds is not None else (0 if a.quick else 4),
        )
    finally:
        server.stop()
    summary = report.summarize(outcomes=outcomes, machine=machine(), workload_args=workload_args, before=before)
    (OUT / "summary.json").write_text(json.dumps(summary, indent=1))
    write_docs(summary=summary, docs=Path(a.docs), plots=not a.no_plots)
    wrong = [o for o in outcomes if o.wrong_source]
    for o in wrong:
        print(f"[bench] HARNESS ERROR: {o.contender.name}: {o.error}", file=sys.stderr)
    if not any(o.error is None for o in outcomes):
        print("[bench] no contender ran", file=sys.stderr)
        return 1
    return 1 if wrong else 0


def measure(
    chosen: list[Contender],
    *,
    base_url: str,
    workload_args: list[str],
    before: str | None,
    extra_rounds: int,
    before_rounds: int = 0,
    noisy_rounds: int = 0,
) -> list[Outcome]:
    """Run the contenders one after another against the emulator at ``base_url`` (with the
    package's src exported from ``before`` for the "before" twins), then the head-to-head
    contenders' ``extra_rounds`` interleaved rounds, each mode's ``before_rounds`` beside its
    "before" twin and then its ``noisy_rounds`` of the 2-tool-round and burst workloads alone
    (rounds.py)."""
    outcomes: list[Outcome] = []
    assistants = create_assistants(base_url)
    with exported_source(before) if before else nullcontext(None) as source:
        for c in chosen:
            print(f"[bench] {c.name} ...", flush=True)
            outcome = run_contender(
                c, base_url=base_url, assistants=assistants, workload_args=workload_args, source=source
            )
            print(
                f"[bench] {c.name}: {'ok' if not outcome.error else outcome.error[:200]} ({outcome.seconds:.0f} s)",
                flush=True,
            )
            outcomes.append(outcome)

        def again(c: Contender, extra: list[str]) -> Outcome:
            args = [*workload_args, *extra]
            outcome = run_contender(c, base_url=base_url, assistants=assistants, workload_args=args, source=source)
            if outcome.wrong_source:  # the main pass checked the same export: the harness is broken
                raise RuntimeError(f"HARNESS ERROR in an extra round of {c.name}: {outcome.error}")
            return outcome

        rounds.run_rounds(outcomes, rounds=extra_rounds, run=again)
        rounds.run_before_rounds(outcomes, rounds=before_rounds, run=again)
        rounds.run_before_rounds(
            outcomes, rounds=noisy_rounds, run=again, workloads=rounds.NOISY_WORKLOADS, first=before_rounds + 1
        )
    return outcomes


def write_docs(*, summary: dict, docs: Path, plots: bool) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    names = draw_plots(summary_path=OUT / "summary.json", target=docs / "bench") if plots else []
    (docs / "benchmarks.md").write_text(report.markdown(summary, plots=names))
    print(f"[bench] wrote {docs / 'benchmarks.md'}", flush=True)


def draw_plots(*, summary_path: Path, target: Path) -> list[str]:
    """Draw the PNGs in the plots venv (matplotlib is not a dependency of the package)."""
    built = envs.ensure_venv(name="plots", log=lambda m: print(m, flush=True))
    if built.python is None:
        print(f"[bench] no plots: {built.error}", file=sys.stderr)
        return []
    target.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [str(built.python), str(BENCH / "plots.py"), str(summary_path), str(target)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"plots failed: {proc.stderr[-800:]}")
    return [line.strip() for line in proc.stdout.splitlines() if line.strip().endswith(".png")]


if __name__ == "__main__":
    raise SystemExit(main())
