"""The Keep adapter.

``provider`` is the Keep provider class (importable only where Keep is installed); ``installer``
puts the shim into Keep; ``step_request`` and ``provider_tools`` map a step's values to one
engine turn and need no Keep (workflows run in Keep's engine in-process by
:mod:`openaiassistant.harness`).
Nothing outside this package and the ``keep``/``demo`` CLI commands imports it.
"""

__all__: list[str] = []  # its modules are imported by their own names
