"""Starting the emulator in a process leaves that process's logging alone: uvicorn's logging
config (dictConfig) closed every handler of the host, and a FileHandler then reopened its file
truncated, losing what had been logged (found by the reliability secret scan: the suite's log
file came out empty)."""

from __future__ import annotations

import logging
from pathlib import Path

from openaiassistant.emulator.server import EmulatorServer


def test_starting_an_emulator_keeps_the_hosts_log_file(tmp_path: Path) -> None:
    path = tmp_path / "host.log"
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    logger = logging.getLogger("host-under-test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("before the emulator")
        with EmulatorServer(validate=False):
            logger.info("while it serves")
        logger.info("after it stopped")
        handler.flush()
        assert path.read_text().splitlines() == ["before the emulator", "while it serves", "after it stopped"]
    finally:
        logger.removeHandler(handler)
        handler.close()
