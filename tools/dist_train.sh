#!/usr/bin/env bash
# Distributed training with torchrun (on CPU-only hosts it uses gloo).
# Usage: tools/dist_train.sh CONFIG GPUS [train.py arguments...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT as in MMAction2.
set -euo pipefail
CONFIG=$1
GPUS=$2
TOOLS="$(cd "$(dirname "$0")" && pwd)"
exec bash "$TOOLS/dist_run.sh" "$GPUS" "$TOOLS/train.py" "$CONFIG" \
    --launcher pytorch "${@:3}"
