"""Content and knowledge: what a user gives a turn, what the answer cites, vector stores.

Domain values (``inputs``, ``sources``, ``citations``), how users write them (``parsing``), each
API's wire form (``responses_format``, ``assistants_format``), citations rendered (``footnotes``),
uploads (``uploads``) and knowledge bases (``knowledge``, ``sync``).
"""

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
