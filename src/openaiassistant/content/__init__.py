"""Content and knowledge: image and file inputs, citations, vector stores."""

from openaiassistant.content.citations import Citation, from_assistants_annotations, from_responses_annotations
from openaiassistant.content.inputs import (
    Attachment,
    ImageInput,
    UserInput,
    build_input,
    parse_attachments,
    parse_images,
)

__all__ = [
    "Attachment",
    "Citation",
    "ImageInput",
    "UserInput",
    "build_input",
    "from_assistants_annotations",
    "from_responses_annotations",
    "parse_attachments",
    "parse_images",
]
