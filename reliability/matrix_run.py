"""Run the reliability matrices in this interpreter's environment and write the results as JSON.

    python reliability/matrix_run.py --out FILE [--only TEXT] [--no-validate]

One in-process emulator (validating every response against OpenAI's spec unless told not to),
every cell of both matrices (reliability/cells.py) through reliability/harness.py.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402
from reliability.cells import all_cells  # noqa: E402
from reliability.harness import run_cell  # noqa: E402

from openaiassistant.emulator.server import EmulatorServer  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", default="")
    parser.add_argument("--no-validate", action="store_true")
    args = parser.parse_args(argv)
    results = []
    started = time.time()
    with EmulatorServer(validate=not args.no_validate) as server:
        for cell in all_cells():
            if args.only and args.only not in cell.id:
                continue
            result = run_cell(server, cell)
            results.append(result.to_dict())
            mark = "BAD" if result.problems else "ok "
            print(f"{mark} {cell.id}: {result.outcome} {'; '.join(result.problems)[:200]}", flush=True)
        violations = server.violations()
    payload = {
        "python": platform.python_version(),
        "openai": openai.__version__,
        "seconds": round(time.time() - started, 1),
        "validated": not args.no_validate,
        "spec_violations": violations[:20],
        "cells": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(payload, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
