"""The CLI's OpenTelemetry SDK set-up, from the standard environment variables.

    OTEL_TRACES_EXPORTER            console | otlp | none, or any installed exporter's
                                    entry-point name; comma-separated for several
    OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL   http/protobuf (default) | grpc
    OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT   read by the OTLP exporter itself (default
                                    http://localhost:4318 for http/protobuf)
    OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES   the resource (service.name defaults to
                                    "openaiassistant")
    OTEL_SDK_DISABLED=true          nothing is set up

Nothing happens without ``OTEL_TRACES_EXPORTER``, when another tracer provider is already set
(a host process's, e.g. Keep's: it wins), or without ``opentelemetry-sdk`` (``pip install
'openaiassistant[otel]'``; a one-line warning says so). The console exporter writes to
stderr, so that stdout keeps only the answer. The SDK's own ``_configuration`` module does
this too, but it is private API that changed between the 1.29 Keep pins and today's SDK;
exporters are found through the same public entry points it uses.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

from opentelemetry import trace

__all__ = ["configure_from_env"]

ENTRY_POINT_GROUP = "opentelemetry_traces_exporter"
_OTLP = {"http/protobuf": "otlp_proto_http", "grpc": "otlp_proto_grpc"}
DEFAULT_SERVICE = "openaiassistant"

Warn = Callable[[str], None]


def configure_from_env(
    environ: Mapping[str, str] | None = None, *, warn: Warn | None = None
) -> Callable[[], None] | None:
    """Install a tracer provider exporting as the environment says.

    Returns the function that flushes and shuts it down (call it before the process exits),
    or None when nothing was set up. Problems (an unknown exporter, a missing package) are
    reported through ``warn`` and leave tracing off; they never stop the command.
    """
    env = os.environ if environ is None else environ
    say = warn or _stderr
    names = [n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    names = [n for n in names if n != "none"]
    if not names or env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return None  # the host process set up tracing: our spans go there
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
    except ImportError:
        say("OTEL_TRACES_EXPORTER is set but opentelemetry-sdk is not installed (pip install 'openaiassistant[otel]')")
        return None
    processors: list[Any] = []
    for name in names:
        if name == "console":
            processors.append(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
            continue
        exporter = _exporter(name, env, say)
        if exporter is not None:
            processors.append(BatchSpanProcessor(exporter))
    if not processors:
        return None
    resource = Resource.create()
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource.create({"service.name": DEFAULT_SERVICE}))
    provider = TracerProvider(resource=resource)
    for processor in processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    return provider.shutdown


def _exporter(name: str, env: Mapping[str, str], say: Warn) -> Any:
    """An exporter by its entry-point name (``otlp`` picks the protocol's exporter)."""
    if name == "otlp":
        protocol = (
            env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf"
        ).strip()
        if protocol not in _OTLP:
            say(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r} is not supported here; use http/protobuf or grpc")
            return None
        name = _OTLP[protocol]
    found = list(entry_points(group=ENTRY_POINT_GROUP, name=name))
    if not found:
        package = {
            "otlp_proto_http": "opentelemetry-exporter-otlp-proto-http",
            "otlp_proto_grpc": "opentelemetry-exporter-otlp-proto-grpc",
        }.get(name, f"an exporter registering {name!r}")
        say(f"OTEL_TRACES_EXPORTER: no exporter {name!r} is installed (install {package}); traces stay off")
        return None
    try:
        return found[0].load()()
    except Exception as exc:  # noqa: BLE001 - a broken exporter must not stop the command
        say(f"OTEL_TRACES_EXPORTER: exporter {name!r} could not start: {type(exc).__name__}: {exc}")
        return None


def _stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
