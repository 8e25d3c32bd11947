"""One lane of the burst as a long-lived worker process (as a Keep worker is): M turns one after
another through the Assistant API, a new conversation each, like Keep's provider runs them.

    python bench/burst_worker.py --lane 0 --turns 10 --base-url URL --timeout 300 [--coordination-url URL]

Prints one JSON line per turn: {"lane", "index", "ok", "seconds", "error"}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from openaiassistant.assistant import Assistant
from openaiassistant.errors import AssistantError
from openaiassistant.settings import AssistantSpec, ConnectionSettings


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lane", type=int, required=True)
    parser.add_argument("--turns", type=int, required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--coordination-url", default=None)
    args = parser.parse_args()
    coordination = {"coordination_url": args.coordination_url} if args.coordination_url else {}
    # (without one, the code before coordination existed runs this script too: see burst.py --before)
    connection = ConnectionSettings(api_key=os.environ["OPENAI_API_KEY"], base_url=args.base_url, **coordination)
    assistant = Assistant(connection=connection, spec=AssistantSpec(model="gpt-4o-mini"))
    for index in range(args.turns):
        started, error = time.monotonic(), None
        try:
            assistant.run_turn(f"alert {args.lane}-{index}: disk full on db-{args.lane}", timeout=args.timeout)
        except AssistantError as exc:
            error = f"{exc.kind}: {exc}"
        print(
            json.dumps(
                {
                    "lane": args.lane,
                    "index": index,
                    "ok": error is None,
                    "seconds": round(time.monotonic() - started, 2),
                    "error": error,
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
