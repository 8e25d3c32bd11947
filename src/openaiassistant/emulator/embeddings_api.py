"""``POST /v1/embeddings``: deterministic embeddings, so servers that embed through an
OpenAI-compatible upstream (llama-stack's vector stores, for one) can index and search offline.

Each word is hashed into one of ``dimensions`` (default 256) buckets; a text's vector is its
normalized bag of hashed words. Texts sharing words are near each other, which is all a search
over runbooks needs in a test. Vectors are always lists of floats (the spec's form; the SDK,
which asks for base64 on its own, decodes a string and keeps a list as it is).
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaiassistant.emulator.http import ApiProblem, ok, read_json, require

__all__ = ["ROUTES", "embed"]

DIMENSIONS = 256
_WORD = re.compile(r"\w+")


def embed(text: str, dimensions: int = DIMENSIONS) -> list[float]:
    vector = [0.0] * dimensions
    for word in _WORD.findall(text.lower()):
        bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % dimensions
        vector[bucket] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def _inputs(raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ApiProblem(400, "'input' must be a non-empty string or array.", param="input")
    texts = []
    for item in raw:
        if isinstance(item, list):  # token ids: embedded as their text
            item = " ".join(str(t) for t in item)
        if not isinstance(item, (str, int)) or item == "":
            raise ApiProblem(400, "'input' cannot be an empty string.", param="input")
        texts.append(str(item))
    return texts


async def create_embeddings(request: Request) -> Response:
    body = await read_json(request)
    texts = _inputs(require(body, "input"))
    dimensions = body.get("dimensions", DIMENSIONS)
    if not isinstance(dimensions, int) or not 1 <= dimensions <= 4096:
        raise ApiProblem(400, "'dimensions' must be an integer from 1 to 4096.", param="dimensions")
    data = [{"object": "embedding", "index": i, "embedding": embed(text, dimensions)} for i, text in enumerate(texts)]
    tokens = sum(len(_WORD.findall(t)) for t in texts)
    return ok(
        {
            "object": "list",
            "data": data,
            "model": str(require(body, "model")),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


ROUTES = [Route("/v1/embeddings", create_embeddings, methods=["POST"])]
