"""The formats users write, each described once as a JSON Schema (published in docs/schemas/).

=====================  ==========================================  =================================
document               what it describes                           module
=====================  ==========================================  =================================
http-tool              one declarative HTTP tool                   :mod:`.http_tool`
mcp-server             one MCP server (an ``mcp:`` entry)          :mod:`.mcp`
tools-file             ``openaiassistant ask --tools FILE``        :mod:`.tools_file`
functions              a Keep step's ``functions:`` (kinds)        :mod:`.functions` (:mod:`.mcp`)
provider-config        the Keep provider's configuration           :mod:`.provider_config`
emulator-script        the emulator's scripted model               :mod:`.emulator_script`
=====================  ==========================================  =================================

:func:`check` validates a value with ``jsonschema`` at the edge and raises a ConfigError naming
the path (``functions[0].timeout``) and what is allowed; the code behind it converts the checked
values (numbers and flags through :mod:`openaiassistant.values`) and checks only what JSON
Schema cannot say. ``python -m openaiassistant.schemas DIR`` writes the documents.
"""

from __future__ import annotations

from typing import Any

from .check import check, given, path_text, problems
from .emulator_script import EMULATOR_SCRIPT_DOCUMENT
from .functions import FUNCTION_KINDS, FUNCTIONS_DOCUMENT
from .http_tool import HTTP_TOOL_DOCUMENT
from .kinds import EntryKind
from .mcp import MCP_SERVER_DOCUMENT
from .provider_config import PROVIDER_CONFIG_DOCUMENT
from .tools_file import TOOLS_FILE_DOCUMENT

__all__ = [
    "DOCUMENTS",
    "EMULATOR_SCRIPT_DOCUMENT",
    "FUNCTIONS_DOCUMENT",
    "FUNCTION_KINDS",
    "HTTP_TOOL_DOCUMENT",
    "MCP_SERVER_DOCUMENT",
    "PROVIDER_CONFIG_DOCUMENT",
    "TOOLS_FILE_DOCUMENT",
    "EntryKind",
    "check",
    "given",
    "path_text",
    "problems",
]

DOCUMENTS: dict[str, dict[str, Any]] = {
    "http-tool": HTTP_TOOL_DOCUMENT,
    "mcp-server": MCP_SERVER_DOCUMENT,
    "tools-file": TOOLS_FILE_DOCUMENT,
    "functions": FUNCTIONS_DOCUMENT,
    "provider-config": PROVIDER_CONFIG_DOCUMENT,
    "emulator-script": EMULATOR_SCRIPT_DOCUMENT,
}
