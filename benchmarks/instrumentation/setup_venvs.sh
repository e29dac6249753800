#!/usr/bin/env bash
# Creates one virtual environment per contender under benchmarks/.venvs, all pinned to the same
# SDK and OpenTelemetry versions (constraints-peers.txt), each with otel-llm installed so that the
# shared fake provider and the timing harness are importable. Idempotent: a completed venv (marked .ready) is kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venvs="$root/benchmarks/.venvs"
constraints="$here/constraints-peers.txt"
PYTHON="${PYTHON:-python3}"
mkdir -p "$venvs"

declare -A packages=(
  [baseline]=""
  [otel-llm]=""
  [openai-v2]="opentelemetry-instrumentation-openai-v2 opentelemetry-util-genai"
  [openllmetry]="opentelemetry-instrumentation-openai opentelemetry-instrumentation-anthropic"
  [openinference]="openinference-instrumentation-openai openinference-instrumentation-anthropic"
  [openlit]="openlit"
)

for name in "${!packages[@]}"; do
  venv="$venvs/$name"
  [ -f "$venv/.ready" ] && continue
  echo "creating $venv" >&2
  "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q -c "$constraints" openai anthropic opentelemetry-sdk ${packages[$name]}
  "$venv/bin/pip" install -q -c "$constraints" -e "$root"
  touch "$venv/.ready"
done
