"""A local OpenAI-compatible emulator: Responses, Conversations, Assistants v2 and Files.

``EmulatorServer`` runs it in-process; ``openaiassistant emulator`` runs it from the command
line; the pytest plugin (``openaiassistant.emulator.pytest_plugin``) gives the ``emulator`` and
``emulator_url`` fixtures. See ``docs/emulator.md``. Importing this package does not need
starlette or uvicorn; importing ``server`` does.
"""

__all__ = ["EmulatorServer"]


def __getattr__(name: str):  # lazy, so that the package imports without the server extras
    if name == "EmulatorServer":
        from openaiassistant.emulator.server import EmulatorServer

        return EmulatorServer
    raise AttributeError(name)
