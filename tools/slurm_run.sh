#!/usr/bin/env bash
# srun with MMAction2's Slurm variables, shared by slurm_train.sh and
# slurm_test.sh (on CPU-only nodes the tasks use gloo).
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        tools/slurm_run.sh PARTITION JOB_NAME SCRIPT [SCRIPT arguments...]
# Interpreter: $PYTHON, else the repository's .venv, else python.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
# shellcheck source=interpreter.sh
source "$(dirname "$0")/interpreter.sh"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

# shellcheck disable=SC2086  # SRUN_ARGS holds several words on purpose
PYTHONPATH="$ROOT:${PYTHONPATH:-}" \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "$PYTHON" -u "$SCRIPT" "${@:4}" --launcher slurm
