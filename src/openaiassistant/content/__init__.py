"""Content and knowledge: what a user gives a turn, what the answer cites, vector stores.

Domain values (``inputs``, ``sources``, ``citations``), how users write them (``parsing``), each
API's wire form (``responses_format``, ``assistants_format``), citations rendered (``footnotes``),
uploads (``uploads``) and knowledge bases (``knowledge``, ``sync``).
"""

from typing import TYPE_CHECKING

from openaiassistant.lazy import lazy_names

# loaded on first use: a backend needs its own API's format module, not the other's
_LAZY: dict[str, str | None] = {
    "assistants_format": None,  # the sub-modules themselves
    "responses_format": None,
    "Citation": "openaiassistant.content.citations",
    "Attachment": "openaiassistant.content.inputs",
    "ImageInput": "openaiassistant.content.inputs",
    "UserInput": "openaiassistant.content.inputs",
    "build_input": "openaiassistant.content.parsing",
    "parse_attachments": "openaiassistant.content.parsing",
    "parse_images": "openaiassistant.content.parsing",
    "FileSource": "openaiassistant.content.sources",
}

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from openaiassistant.content import assistants_format, responses_format
    from openaiassistant.content.citations import Citation
    from openaiassistant.content.inputs import Attachment, ImageInput, UserInput
    from openaiassistant.content.parsing import build_input, parse_attachments, parse_images
    from openaiassistant.content.sources import FileSource

__all__ = [
    "Attachment",
    "Citation",
    "FileSource",
    "ImageInput",
    "UserInput",
    "assistants_format",
    "build_input",
    "parse_attachments",
    "parse_images",
    "responses_format",
]

__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
