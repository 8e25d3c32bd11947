"""Register another Keep provider's credentials as secrets before a tool calls it.

A provider-backed tool's output and errors go to the model, the step's result and the workflow
log, so the called provider's credentials are registered with :func:`~openaiassistant.errors.
register_secret` first. Which fields are credentials is Keep's own knowledge: the provider's
auth config class marks them ``sensitive: True`` (the same metadata that masks them in Keep's
UI). Every string inside a sensitive field is registered (a field may hold a mapping, such as a
header map), and so is the ``user:password`` part of any URL anywhere in the configuration.
When the class cannot be found, fields named like credentials are registered instead.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from openaiassistant.redaction import register_secret

__all__ = ["keep_sensitive_fields", "register_config_secrets", "register_url_credentials"]

_CREDENTIAL_NAME = re.compile(r"(?i)(key|token|secret|password|passwd|credential|webhook)")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>]+")

logger = logging.getLogger(__name__)


def register_config_secrets(
    config: Mapping[str, Any], provider_type: str, *, sensitive_fields: Callable[[str], set[str] | None] | None = None
) -> None:
    """Register the secrets of a provider configuration (``{"authentication": {...}}``)."""
    auth = config.get("authentication") if isinstance(config, Mapping) else None
    if not isinstance(auth, Mapping):
        return
    sensitive = (sensitive_fields or keep_sensitive_fields)(provider_type)
    for key, value in auth.items():
        marked = key in sensitive if sensitive is not None else bool(_CREDENTIAL_NAME.search(str(key)))
        for text in _strings(value):
            if marked:
                register_secret(text)
            register_url_credentials(text)


def register_url_credentials(text: str) -> None:
    """Register the credentials of every URL in ``text`` (``scheme://user:password@host``)."""
    for userinfo in _url_userinfo(text):
        register_secret(userinfo)


def keep_sensitive_fields(provider_type: str) -> set[str] | None:
    """Names of the fields Keep's auth config class of ``provider_type`` marks sensitive (None: unknown)."""
    try:
        from keep.providers.providers_factory import ProvidersFactory

        auth_class = ProvidersFactory.get_provider_required_config(provider_type)
    except Exception:  # no such provider module: fall back to field names
        logger.debug("no auth config class for provider type %s", provider_type)
        return None
    if not dataclasses.is_dataclass(auth_class):
        return None
    return {f.name for f in dataclasses.fields(auth_class) if f.metadata.get("sensitive")}


def _strings(value: Any) -> Iterator[str]:
    """Every string in a value, through nested mappings and lists."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _url_userinfo(text: str) -> Iterator[str]:
    """The ``user:password`` of each URL with credentials in ``text``, whole and in parts.

    The user name is included: a token is often given as ``https://TOKEN@host``. Short parts
    (a user name like ``admin``) are ignored by :func:`register_secret`.
    """
    for match in _URL.finditer(text):
        try:
            netloc = urlsplit(match.group(0)).netloc
        except ValueError:
            continue
        if "@" not in netloc:
            continue
        userinfo = netloc.rsplit("@", 1)[0]
        yield userinfo  # "user:password", or a token used as the user name
        for part in userinfo.split(":", 1):
            yield part
            yield unquote(part)
