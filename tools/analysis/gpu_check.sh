#!/usr/bin/env bash
# The check to run first on a CUDA host (docs/benchmarks.md): ViT-B MME
# pre-training with online lucas_kanade and with stored trajectories, and
# ViT-B fine-tuning, a few dozen iterations each with --amp on generated
# data, then one table of clips/s, peak GPU memory, the share of time spent
# waiting for data and MFU; sized for at most 8 minutes on one GPU, data
# generation included. Without CUDA it runs the same steps on the toy
# configs, 3 iterations each (the CI smoke test); CUDA_VISIBLE_DEVICES=
# forces that on a GPU host.
#
# Usage: tools/analysis/gpu_check.sh [OUT_DIR]   (default work_dirs/gpu_check)
# Environment: PYTHON (interpreter, default python); ITERS, WARMUP
# (iterations per run, and how many of them the figures leave out);
# BATCH_SIZE (videos per iteration; default the configs' on CUDA, 2 on
# CPU); STEP_TIMEOUT (seconds any one step may take before it is stopped).
set -uo pipefail
PYTHON=${PYTHON:-python}
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT=${1:-work_dirs/gpu_check}
export PYTHONPATH="$ROOT:${PYTHONPATH:-}"

if "$PYTHON" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'
then
    # 16 x 4 clips with 4-step trajectories need 64 frames; 256 px high as
    # the ViT-B pipelines resize to, 36 videos.
    MODE=cuda; VIDEOS_PER_CLASS=4; FRAMES=72; HEIGHT=256; WIDTH=320
    ITERS=${ITERS:-30}; WARMUP=${WARMUP:-8}; BATCH_SIZE=${BATCH_SIZE:-}
    STEP_TIMEOUT=${STEP_TIMEOUT:-120}
else
    MODE=cpu; VIDEOS_PER_CLASS=1; FRAMES=40; HEIGHT=96; WIDTH=128
    ITERS=${ITERS:-3}; WARMUP=${WARMUP:-1}; BATCH_SIZE=${BATCH_SIZE:-2}
    STEP_TIMEOUT=${STEP_TIMEOUT:-120}
fi
WORKERS=$(( $(nproc) < 8 ? $(nproc) : 8 ))
DATA="$OUT/data_$MODE"
TRAJECTORIES="$DATA/trajectories"

# Stop a step that hangs, and the processes it started, with it.
step() {
    timeout -k 10 "$STEP_TIMEOUT" "$@"
}

fail() {
    echo "gpu_check: $1" >&2
    exit 1
}

echo "gpu_check: $MODE, $ITERS iterations per run ($WARMUP of warm-up), \
$WORKERS data workers, output in $OUT"
mkdir -p "$OUT" || fail "cannot create $OUT"
# The same arguments give the same videos, so trajectories extracted by an
# earlier check stay valid (and are skipped).
step "$PYTHON" "$ROOT/tools/data/make_toy_dataset.py" "$DATA" \
    --videos-per-class "$VIDEOS_PER_CLASS" --val-per-class 0 \
    --frames "$FRAMES" --height "$HEIGHT" --width "$WIDTH" \
    || fail "generating the data in $DATA failed"
step "$PYTHON" "$ROOT/tools/data/extract_trajectories.py" \
    "$DATA/train_list.txt" "$TRAJECTORIES" --workers "$WORKERS" \
    >"$OUT/extract_trajectories.log" 2>&1 \
    || fail "extracting trajectories failed: $OUT/extract_trajectories.log"
step "$PYTHON" "$ROOT/tools/analysis/gpu_check.py" prepare "$OUT" \
    --mode "$MODE" --data "$DATA" --trajectories "$TRAJECTORIES" \
    --iters "$ITERS" --warmup "$WARMUP" --workers "$WORKERS" \
    ${BATCH_SIZE:+--batch-size "$BATCH_SIZE"} \
    || fail "writing the runs' configs failed"

while read -r RUN; do
    start=$SECONDS
    step "$PYTHON" "$ROOT/tools/train.py" "$OUT/$RUN/config.py" --amp \
        --seed 0 --work-dir "$OUT/$RUN" >"$OUT/$RUN/train.log" 2>&1 \
        </dev/null
    status=$?
    echo "$status" >"$OUT/$RUN/status"
    echo "gpu_check: $RUN exited with $status after $(( SECONDS - start )) s"
    if (( status )); then
        tail -n 20 "$OUT/$RUN/train.log" >&2
    fi
done <"$OUT/runs.txt"

step "$PYTHON" "$ROOT/tools/analysis/gpu_check.py" report "$OUT"
