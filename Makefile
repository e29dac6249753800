# The two quick-start commands: `make demo` (the main job, embedded store) and `make test`.
# Each creates .venv and installs the project into it when needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TIKTOKEN_CACHE := $(abspath ../shared/tiktoken_cache)
export TIKTOKEN_CACHE_DIR := $(if $(wildcard $(TIKTOKEN_CACHE)),$(TIKTOKEN_CACHE),$(TIKTOKEN_CACHE_DIR))

.PHONY: install demo test test-sampled test-compat lint

$(BIN)/otel-llm: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: $(BIN)/otel-llm

demo: install
	$(BIN)/otel-llm demo

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# The tests that check totals again, the app side sampling its traces at 1% as services do: every
# total must come out the same (issue 13; the fixtures that honour it: tests/fixtures/sampling.py).
test-sampled: install
	OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.01 $(BIN)/python -m pytest -q -m totals

# The instrumentation suite again on the previous SDK majors (openai 2.x, anthropic 0.x, google-genai 1.x),
# with the official google-genai instrumentation, which runs on google-genai 1.32 to 2.x only (on 3.x
# opentelemetry-instrument prints that it skips it): next to it, a call must still be counted once.
test-compat:
	$(PYTHON) -m venv $(VENV)-compat
	$(VENV)-compat/bin/pip install -q --upgrade pip
	$(VENV)-compat/bin/pip install -q -e ".[dev]" "openai>=2,<3" "anthropic<1"
	$(VENV)-compat/bin/pip install -q "google-genai>=1,<2" opentelemetry-instrumentation-google-genai
	$(VENV)-compat/bin/pip install -q "mistralai>=1,<2" "groq<1" "cohere>=5,<6"
	$(VENV)-compat/bin/python -m pytest -q tests/unit tests/integration/instrumentation
