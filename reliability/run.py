"""`make reliability`: the fault matrices, property tests, secret scan and soak in both
environments, one run, written to docs/reliability.md.

    .venv/bin/python reliability/run.py [--quick] [--soak-seconds N]

1. the fault matrix and the ambiguous-failure matrix (reliability/cells.py), every cell audited
   through the server's API (matrix_run.py), in .venv (openai 3.x) and .venv-keep (openai 1.37.1);
2. the property tests with many random examples (HYPOTHESIS_PROFILE=reliability) and the
   hostile-input tests (tests/reliability), in both environments;
3. the whole test suite in both environments with every log record at DEBUG captured
   (log_capture.py), then a scan of those logs and of everything above for secrets;
4. a bounded soak (soak.py): random faults at a few percent, audited, memory before/after.

It exits non-zero only when the harness itself broke, never because a figure is bad: the
figures are the report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT))

from reliability import report, secret_scan  # noqa: E402

ENVS = {"main": ROOT / ".venv" / "bin" / "python", "keep": ROOT / ".venv-keep" / "bin" / "python"}


def _run(cmd: list[str], *, env: dict[str, str] | None = None, log: Path | None = None, timeout: int = 3600) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    with open(log, "w") if log else open(os.devnull, "w") as sink:
        done = subprocess.run(
            cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=sink, stderr=subprocess.STDOUT, timeout=timeout
        )
    return done.returncode


def _junit(path: Path) -> dict[str, int]:
    if not path.is_file():
        return {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")  # type: ignore[assignment]
    return {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}  # type: ignore[union-attr]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="matrices and soak only, in .venv")
    parser.add_argument("--soak-seconds", type=float, default=150)
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    started = time.time()
    envs = {"main": ENVS["main"]} if args.quick else ENVS
    results: dict[str, object] = {"envs": {}, "started": started}
    for name, python in envs.items():
        env_result: dict[str, object] = {}
        matrix = OUT / f"matrix-{name}.json"
        _run([str(python), str(HERE / "matrix_run.py"), "--out", str(matrix)], log=OUT / f"matrix-{name}.out")
        env_result["matrix"] = json.loads(matrix.read_text())
        if not args.quick:
            junit = OUT / f"properties-{name}.xml"
            _run(
                [
                    str(python),
                    "-m",
                    "pytest",
                    "-q",
                    "tests/reliability",
                    "--deselect",
                    "tests/reliability/test_fault_matrix.py",
                    f"--junitxml={junit}",
                ],
                env={"HYPOTHESIS_PROFILE": "reliability"},
                log=OUT / f"properties-{name}.out",
            )
            env_result["properties"] = _junit(junit)
            suite_junit = OUT / f"suite-{name}.xml"
            _run(
                [str(python), "-m", "pytest", "-q", "-p", "reliability.log_capture", f"--junitxml={suite_junit}"],
                env={"RELIABILITY_LOG": str(OUT / f"suite-{name}.log"), "OPENAI_EMULATOR_REQUIRE_SPEC": "1"},
                log=OUT / f"suite-{name}.out",
            )
            env_result["suite"] = _junit(suite_junit)
        soak = OUT / f"soak-{name}.json"
        seconds = args.soak_seconds if name == "main" else args.soak_seconds / 3
        _run(
            [str(python), str(HERE / "soak.py"), "--seconds", str(seconds), "--out", str(soak)],
            log=OUT / f"soak-{name}.out",
        )
        env_result["soak"] = json.loads(soak.read_text())
        results["envs"][name] = env_result  # type: ignore[index]
    scanned = sorted(p for p in OUT.iterdir() if p.suffix in (".log", ".out", ".xml", ".json"))
    results["secrets"] = secret_scan.scan(scanned, secret_scan.test_secrets())
    results["seconds"] = round(time.time() - started)
    (OUT / "results.json").write_text(json.dumps(results, indent=1, default=str))
    (ROOT / "docs" / "reliability.md").write_text(report.render(results))
    print(f"wrote docs/reliability.md ({results['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
