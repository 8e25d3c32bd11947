"""The ``openaiassistant`` command line: ``main.py`` and one module per sub-command."""

__all__: list[str] = []  # its modules are imported by their own names
