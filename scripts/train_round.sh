#!/usr/bin/env bash
# Starts a training round on this computer in the background and says where it writes.
#
#   scripts/train_round.sh --minutes 120 [round options]   # e.g. --size 96 --batch 16, --mix colorize=0.3,...
#
# The round continues the chain in the user's cache folder (or --out DIR), at the lowest
# priority, with the CPU recipe below unless overridden (later options win). Pause it with
# `kill -STOP PID` while timing something, `kill -CONT PID` after; `kill PID` saves and ends it.
# Options: python -m palette_desktop.model.round --help. DATA defaults to ../shared/data/train.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
DATA=${DATA:-../shared/data/train}
OUT=$("$PY" -c 'import sys; from palette_desktop.model.round import default_chain_dir as d; print(d())')
for ((i = 1; i <= $#; i++)); do
    [ "${!i}" = --out ] && { j=$((i + 1)); OUT=${!j}; }
done
mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%d-%H%M%S)
PRINTED="$OUT/round-$STAMP.out"
# 64² crops of 32, lr 4e-4, one loader worker: the recipe of cpu-round-1 (docs/training-log.md)
nohup nice -n 19 "$PY" -m palette_desktop.model.round "$DATA" --batch 32 --size 64 --lr 4e-4 --workers 1 \
    --log-every 50 "$@" >"$PRINTED" 2>&1 </dev/null &
PID=$!
echo "round started: pid $PID"
echo "  printed:    $PRINTED"
echo "  log:        $OUT/log.jsonl"
echo "  checkpoint: $OUT/checkpoint.pt (full, to resume) and $OUT/ema.pt (what export takes)"
echo "  pause: kill -STOP $PID · resume: kill -CONT $PID · stop and save: kill $PID"
