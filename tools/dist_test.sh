#!/usr/bin/env bash
# Distributed testing with torchrun (on CPU-only hosts it uses gloo).
# Usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py arguments...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT as in MMAction2.
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
TOOLS="$(cd "$(dirname "$0")" && pwd)"
exec bash "$TOOLS/dist_run.sh" "$GPUS" "$TOOLS/test.py" "$CONFIG" \
    "$CHECKPOINT" --launcher pytorch "${@:4}"
