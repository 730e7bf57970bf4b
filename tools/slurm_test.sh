#!/usr/bin/env bash
# Testing on a Slurm cluster (MMAction2's script, with our tools/test.py).
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        [MASTER_PORT=29500] \
#        tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT \
#            [test.py arguments...]
set -euo pipefail
TOOLS="$(cd "$(dirname "$0")" && pwd)"
exec bash "$TOOLS/slurm_run.sh" "$1" "$2" "$TOOLS/test.py" "${@:3}"
