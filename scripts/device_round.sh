#!/usr/bin/env bash
# One training round on the lent GPU machine (see docs/training-log.md for the routine).
#
#   scripts/device_round.sh smoke PACK      # ≤ 90 s: imports, compile, samples/s of pipeline, network, both
#   scripts/device_round.sh MINUTES PACK    # train MINUTES from the chain's weights, then time CUDA inference
#
# PACK is packs/pack-N.tar (python scripts/make_packs.py; carry it). Runs from the checkout
# with the machine's own python3 (torch, numpy, OpenCV, Pillow: nothing else needed).
# Writes to $OUT: log.jsonl, ema.pt (fp16 EMA weights, every minute and at the end),
# throughput.txt, cuda_inference.md, round.txt (everything printed). ROUND_ARGS passes options
# to palette_desktop.model.round (e.g. "--lr 5e-4 --batch 512"). START=packs/chain-ema.pt (carried)
# continues the CPU rounds' chain; without it the round starts from models/palette-small.
set -uo pipefail
cd "$(dirname "$0")/.."
MODE=${1:?usage: device_round.sh smoke|MINUTES PACK}
PACK=${2:?usage: device_round.sh smoke|MINUTES PACK}
OUT=${OUT:-out}
mkdir -p "$OUT"
export PYTHONPATH=.
PY=${PYTHON:-python3}
[ -f "$PACK" ] || { echo "device_round: $PACK not found (make it with scripts/make_packs.py and carry it)" >&2; exit 2; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | tee "$OUT/gpu.txt"
df -h /dev/shm | tail -1  # loader workers hand batches over there
"$PY" -c "import torch, cv2, numpy, PIL; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'cv2', cv2.__version__)"
if [ "$MODE" = smoke ]; then
    "$PY" benchmarks/train_throughput.py --data "$PACK" --seconds 5 2>&1 | tee "$OUT/throughput.txt"
    exit "${PIPESTATUS[0]}"
fi
"$PY" -m palette_desktop.model.round "$PACK" --minutes "$MODE" --out "$OUT" --save-every 60 \
    ${START:+--start "$START"} ${ROUND_ARGS:-} 2>&1 | tee "$OUT/round.txt"
status=${PIPESTATUS[0]}
"$PY" benchmarks/cuda_inference.py 2>&1 | tee "$OUT/cuda_inference.md"
exit "$status"
