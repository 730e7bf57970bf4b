#!/usr/bin/env bash
# torchrun with MMAction2's launcher variables, shared by dist_train.sh and
# dist_test.sh (on CPU-only hosts the processes use gloo).
# Usage: tools/dist_run.sh NPROC SCRIPT [SCRIPT arguments...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT as in MMAction2.
# Interpreter: $PYTHON, else the repository's .venv, else python.
set -euo pipefail
NPROC=$1
SCRIPT=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
# shellcheck source=interpreter.sh
source "$(dirname "$0")/interpreter.sh"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

PYTHONPATH="$ROOT:${PYTHONPATH:-}" \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" \
    --master_port="$PORT" \
    "$SCRIPT" "${@:3}"
