"""Observability: OpenTelemetry spans (GenAI semantic conventions), token usage in detail, the
cost of a turn in US dollars, and per-turn budgets.

    attributes.py  span and attribute names (GenAI conventions + ours)
    tracing.py     the tracer, span helpers, content-capture switch, traceparent injection
    requests.py    a span per API request of ours (decorates backends.transport.call)
    prices.py      the price table (prices.json, an extract of genai-prices) and overrides
    cost.py        a turn's cost, summed round by round; the budgets checked between rounds
    sdk_setup.py   the CLI's SDK set-up from OTEL_* environment variables

Only ``opentelemetry-api`` is required: without an SDK every span is a no-op.
"""

__all__: list[str] = []  # its modules are imported by their own names
