"""The engine: a turn as a small state machine over the backends' typed outcomes (``turn.py``)."""

__all__: list[str] = []  # its modules are imported by their own names
