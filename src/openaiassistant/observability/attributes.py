"""Span and attribute names: the OpenTelemetry GenAI semantic conventions, plus our own.

Written out here rather than imported from ``opentelemetry-semantic-conventions``: Keep's
environment pins 0.50b0 of that package, which predates most of these names (and the GenAI
conventions now live in their own repository, open-telemetry/semantic-conventions-genai, in
development status). Names as of that repository on 2026-12-01.
"""

from __future__ import annotations

__all__ = [
    "AGENT_ID",
    "AGENT_NAME",
    "ALERT_FINGERPRINT",
    "BACKEND",
    "BUDGET_LIMIT",
    "CONVERSATION_ID",
    "COST_USD",
    "ERROR_TYPE",
    "HTTP_RESEND_COUNT",
    "HTTP_STATUS",
    "KEEP_TENANT",
    "KEEP_WORKFLOW",
    "OPERATION",
    "OPERATION_DETAIL",
    "OUTPUT_TYPE",
    "PROVIDER",
    "REQUEST_MAX_TOKENS",
    "REQUEST_MODEL",
    "REQUEST_TEMPERATURE",
    "REQUEST_TOP_P",
    "RESPONSE_FINISH_REASONS",
    "RESPONSE_ID",
    "RESPONSE_MODEL",
    "RETRY_EVENT",
    "RUN_ID",
    "SERVER_ADDRESS",
    "SERVER_PORT",
    "STATUS",
    "TOOL_CALL_ARGUMENTS",
    "TOOL_CALL_ID",
    "TOOL_CALL_RESULT",
    "TOOL_DESCRIPTION",
    "TOOL_NAME",
    "TOOL_OUTCOME",
    "TOOL_TYPE",
    "USAGE_CACHE_CREATION",
    "USAGE_CACHE_READ",
    "USAGE_INPUT",
    "USAGE_OUTPUT",
    "USAGE_REASONING",
    "WORKFLOW_NAME",
]

# -- GenAI semantic conventions -----------------------------------------------------------------
OPERATION = "gen_ai.operation.name"  # invoke_agent | chat | execute_tool
PROVIDER = "gen_ai.provider.name"  # openai | azure.ai.openai
AGENT_ID = "gen_ai.agent.id"
AGENT_NAME = "gen_ai.agent.name"
CONVERSATION_ID = "gen_ai.conversation.id"
REQUEST_MODEL = "gen_ai.request.model"
REQUEST_TEMPERATURE = "gen_ai.request.temperature"
REQUEST_TOP_P = "gen_ai.request.top_p"
REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
OUTPUT_TYPE = "gen_ai.output.type"  # text | json
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
USAGE_INPUT = "gen_ai.usage.input_tokens"  # includes cached tokens
USAGE_OUTPUT = "gen_ai.usage.output_tokens"  # includes reasoning tokens
USAGE_CACHE_READ = "gen_ai.usage.cache_read.input_tokens"
USAGE_CACHE_CREATION = "gen_ai.usage.cache_creation.input_tokens"
USAGE_REASONING = "gen_ai.usage.reasoning.output_tokens"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_TYPE = "gen_ai.tool.type"  # function
TOOL_DESCRIPTION = "gen_ai.tool.description"
TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"  # opt-in (content capture)
TOOL_CALL_RESULT = "gen_ai.tool.call.result"  # opt-in (content capture)
WORKFLOW_NAME = "gen_ai.workflow.name"

# -- general conventions --------------------------------------------------------------------------
ERROR_TYPE = "error.type"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
HTTP_STATUS = "http.response.status_code"
HTTP_RESEND_COUNT = "http.request.resend_count"

# -- ours (no convention covers them) ----------------------------------------------------------
BACKEND = "openaiassistant.backend"  # responses | assistants
STATUS = "openaiassistant.turn.status"  # completed | incomplete | requires_approval | budget_exceeded
RUN_ID = "openaiassistant.run.id"  # an Assistants run (a Responses turn names its response)
COST_USD = "openaiassistant.cost_usd"
BUDGET_LIMIT = "openaiassistant.budget.limit"  # which budget stopped the turn
TOOL_OUTCOME = "openaiassistant.tool.outcome"  # ok | error | timeout | rejected
TOOL_ROUND = "openaiassistant.tool.round"
OPERATION_DETAIL = "openaiassistant.request"  # "create response", "poll run", ...
ALERT_FINGERPRINT = "keep.alert.fingerprint"
KEEP_TENANT = "keep.tenant.id"
KEEP_WORKFLOW = "keep.workflow.id"

# span events
RETRY_EVENT = "retry"
