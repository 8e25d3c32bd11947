"""Running Keep workflows in this process with Keep's real parser and engine (no Keep server).

:mod:`.runner` prepares Keep's environment and runs a workflow; :mod:`.providers` makes the
providers file a run uses (pointed at the emulator for an offline run); :mod:`.report` shows a
run in the terminal. Used by ``openaiassistant keep run``, ``openaiassistant demo`` and the tests.
Nothing here imports Keep at module level: Keep reads its environment when first imported.
"""

__all__: list[str] = []  # its modules are imported by their own names
