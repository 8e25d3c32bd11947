"""A pytest plugin for ``make reliability``: every log record of the whole session, at DEBUG,
into the file named by ``RELIABILITY_LOG`` (for the secret scan). Load with
``-p reliability.log_capture``."""

from __future__ import annotations

import logging
import os

_handler: logging.Handler | None = None


def pytest_configure(config: object) -> None:
    global _handler
    path = os.environ.get("RELIABILITY_LOG")
    if not path:
        return
    _handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    _handler.setLevel(logging.DEBUG)
    _handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(_handler)
    root.setLevel(logging.DEBUG)


def pytest_runtest_setup(item: object) -> None:
    # a test may lower the root logger's level (the demo quiets Keep): keep recording anyway
    if _handler is not None:
        root = logging.getLogger()
        if _handler not in root.handlers:
            root.addHandler(_handler)
        root.setLevel(logging.DEBUG)


def pytest_unconfigure(config: object) -> None:
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
