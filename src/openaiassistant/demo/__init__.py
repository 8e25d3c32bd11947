"""``openaiassistant demo``: the alert-triage example, offline, in Keep's real workflow engine.

:mod:`.triage` tells the story; :mod:`.sample_services` is the small monitoring API its tools
query. The in-process Keep runner they use is :mod:`openaiassistant.harness`.
"""

__all__: list[str] = []  # its modules are imported by their own names
