#!/usr/bin/env bash
# Creates the benchmarks' virtual environments under benchmarks/.venvs, each pinned by a constraints
# file and each with otel-llm installed (editable) so that the fake provider and the harness are importable:
#
# - one per contender of bench_overhead.py (openai/anthropic; constraints-peers.txt): the peers'
#   openai/anthropic instrumentations cannot share one environment;
# - `providers` for bench_gemini.py and bench_bedrock.py (constraints-providers.txt): google-genai,
#   boto3, the official google-genai and botocore instrumentations and OpenLLMetry's google-generativeai
#   and bedrock ones, which those benchmarks switch on and off in one process.
#
# Usage: setup_venvs.sh [name ...]   (no name: all). Idempotent: a completed venv (marked .ready) is kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venvs="$root/benchmarks/.venvs"
PYTHON="${PYTHON:-python3}"
mkdir -p "$venvs"

peer_sdks="openai anthropic opentelemetry-sdk"
provider_sdks="google-genai boto3 opentelemetry-sdk"
declare -A packages=(
  [baseline]="$peer_sdks"
  [otel-llm]="$peer_sdks"
  [openai-v2]="$peer_sdks opentelemetry-instrumentation-openai-v2 opentelemetry-util-genai"
  [openllmetry]="$peer_sdks opentelemetry-instrumentation-openai opentelemetry-instrumentation-anthropic"
  [openinference]="$peer_sdks openinference-instrumentation-openai openinference-instrumentation-anthropic"
  [openlit]="$peer_sdks openlit"
  [providers]="$provider_sdks opentelemetry-instrumentation-google-genai opentelemetry-instrumentation-botocore
    opentelemetry-instrumentation-google-generativeai opentelemetry-instrumentation-bedrock"
)
declare -A constraints=([providers]="$here/constraints-providers.txt")

names=("$@")
[ ${#names[@]} -eq 0 ] && names=("${!packages[@]}")
for name in "${names[@]}"; do
  [ -n "${packages[$name]+set}" ] || { echo "unknown environment $name (one of: ${!packages[*]})" >&2; exit 2; }
  venv="$venvs/$name"
  [ -f "$venv/.ready" ] && continue
  pins="${constraints[$name]:-$here/constraints-peers.txt}"
  echo "creating $venv" >&2
  "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q -c "$pins" ${packages[$name]}
  "$venv/bin/pip" install -q -c "$pins" -e "$root"
  touch "$venv/.ready"
done
