"""This project: openaiassistant.Assistant, streamed or polled, on Responses, Assistants or chat
completions (``--api chat``: the conversation kept in a thread registry, SQLite in a temp dir).

The same script drives the package as it was at an older commit (run.py's ``--before REF``
puts that ``src`` first on ``PYTHONPATH``): it speaks both APIs (the tool registry was
``ToolRegistry`` before the house rework of issue 18, ``Toolbox`` since) and reports the
``openaiassistant`` it imported (``imported``), which the harness checks.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402


class Ours:
    def __init__(self, s: _common.Settings) -> None:
        import openaiassistant
        from openaiassistant import Assistant, AssistantSpec, ConnectionSettings

        try:
            from openaiassistant.tools import Toolbox
        except ImportError:  # the package before issue 18 (e.g. bcc2894)
            from openaiassistant.tools import ToolRegistry as Toolbox

        opts = _common.extra_args()
        # stream: text deltas to the caller; quiet: stream=False on the default transport (the
        # event stream, as a Keep step without `stream: true`); poll: transport="poll"
        self.stream = opts.mode == "stream"
        self.api = opts.api
        transport = "poll" if opts.mode == "poll" else "sse"
        registry = Toolbox(max_concurrency=8)
        registry.register(_common.lookup)
        spec = AssistantSpec(
            backend=opts.api,
            model="gpt-4o-mini",
            instructions="You are a benchmark.",
            assistant_id=opts.assistant_id or None,
            **({"spare_threads": True} if opts.spare_threads else {}),
        )
        threads = None
        if opts.api == "chat":  # the conversation is ours: kept in a thread registry
            import tempfile

            from openaiassistant.registry import ThreadRegistry

            threads = ThreadRegistry(f"sqlite:///{tempfile.mkdtemp(prefix='bench-chat-')}/threads.db")
        self.assistant = Assistant(
            connection=ConnectionSettings(api_key="sk-bench-local", base_url=s.base_url, transport=transport),
            spec=spec,
            tools=registry,
            registry=threads,
        )
        self.versions = {"openaiassistant": version("openaiassistant"), "openai": version("openai")}
        self.imported = {"openaiassistant": openaiassistant.__file__}  # which tree ran (run.py --before)
        self.thread_id: str | None = None  # the continued workload's conversation

    def _run(self, prompt: str, rec: _common.Rec, thread_id: str | None) -> Any:
        return self.assistant.run_turn(
            prompt, thread_id=thread_id, stream=self.stream, on_text=lambda _t: rec.first_token(), timeout=120
        )

    def turn(self, prompt: str, rec: _common.Rec) -> bool:
        return self._run(prompt, rec, None).status == "completed"

    def open_conversations(self, prompts: list[str]) -> list[str] | None:
        """One new conversation per prompt, opened by a turn each, all at once (the burst_on
        workload's set-up, unmeasured). None for chat completions, which has no "before" twin
        (the burst_on workload is the before comparison's)."""
        if self.api == "chat":
            return None
        with ThreadPoolExecutor(max_workers=len(prompts)) as pool:
            results = list(pool.map(lambda p: self._run(p, _common.Rec(), None), prompts))
        failed = [r.status for r in results if r.status != "completed"]
        if failed:
            raise RuntimeError(f"opening the burst's conversations: {len(failed)} turns ended {failed[0]}")
        return [r.thread_id for r in results]

    def turn_on(self, prompt: str, rec: _common.Rec, thread_id: str) -> bool:
        return self._run(prompt, rec, thread_id).status == "completed"

    def continued_turn(self, prompt: str, rec: _common.Rec) -> bool:
        """A turn on this adapter's conversation (by ``thread_id``: no conversation is created;
        the first one, the workload's warm-up, makes it)."""
        result = self._run(prompt, rec, self.thread_id)
        self.thread_id = result.thread_id
        return result.status == "completed"


if __name__ == "__main__":
    raise SystemExit(_common.main(Ours))
