"""The fault matrix and the ambiguous-failure matrix (reliability/cells.py), cell by cell, as
regular tests: a regression that doubles a message or a thread, runs a tool twice, leaves a
conversation unusable or a run active, or ends in an untyped error fails here.

``make reliability`` runs the same cells (with every response checked against OpenAI's spec)
and writes docs/reliability.md. Here the emulator skips that check, which costs ~0.4 s a cell;
cells whose run is stuck on an event stream wait for a real deadline and run only there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from reliability.cells import Cell, all_cells
from reliability.harness import run_cell

from openaiassistant.emulator.server import EmulatorServer

pytestmark = pytest.mark.timeout(60)


def _fast(cell: Cell) -> bool:
    return not (cell.transport == "sse" and cell.case.timeout < 10)


CELLS = [cell for cell in all_cells() if _fast(cell)]


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with EmulatorServer(validate=False) as running:
        yield running


@pytest.mark.parametrize("cell", CELLS, ids=[cell.id for cell in CELLS])
def test_cell(server: Any, cell: Cell) -> None:
    result = run_cell(server, cell)
    assert result.fired, f"the cell's faults never fired: {result.to_dict()}"
    assert result.problems == [], (
        f"problems: {result.problems}; outcome: {result.outcome}; error: {result.error}; "
        f"follow-up: {result.follow_up}; audit: {result.audit.to_dict()}"
    )
