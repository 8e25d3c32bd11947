"""The Keep adapter.

``provider`` is the Keep provider class (importable only where Keep is installed); ``installer``
puts the shim into Keep; ``runner`` runs workflows in Keep's engine in-process (demo, tests);
``turn`` and ``provider_tools`` map a step's values to one engine turn and need no Keep.
Nothing outside this package and the ``keep``/``demo`` CLI commands imports it.
"""
