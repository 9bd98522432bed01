#!/usr/bin/env bash
# Create bench/.venv-consortium with llm-consortium 0.8.0 and the fixed-latency llm plugin.
set -euo pipefail
bench="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
"$python" -m venv "$bench/.venv-consortium"
"$bench/.venv-consortium/bin/pip" install --quiet -r "$bench/requirements-consortium.txt"
"$bench/.venv-consortium/bin/pip" install --quiet "$bench/llm_plugin"
"$bench/.venv-consortium/bin/python" -c "import llm; print('bench models:', [m.model_id for m in llm.get_models() if m.model_id.startswith('bench-')])"
