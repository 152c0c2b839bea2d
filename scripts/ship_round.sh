#!/usr/bin/env bash
# Judges a training round against the shipped model, and ships it when it is better.
#
#   scripts/ship_round.sh [--ship] [--limit N] [EMA]    # EMA: default, the chain's ema.pt
#
# Exports the round's EMA weights, runs `palette-desktop eval` on ../shared/data/val for it
# and for models/palette-small (same photos, seeds and steps), prints both tables and the
# verdict of palette_desktop.model.shipping. With --ship, a better model replaces
# models/palette-small (model.onnx, model.pt in fp16, manifest.json; MODEL_CARD.md is
# yours to update). Look at the two grids first: no number sees a colour cast.
# Everything is kept in runs/ship-DATE/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
VAL=${VAL:-../shared/data/val}
SHIP=0 LIMIT=24 EMA=""
while [ $# -gt 0 ]; do
    case $1 in
        --ship) SHIP=1 ;;
        --limit) LIMIT=$2; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) EMA=$1 ;;
    esac
    shift
done
if [ -z "$EMA" ]; then
    EMA=$("$PY" -c 'from palette_desktop.model.round import default_chain_dir as d; print(d() / "ema.pt")')
fi
[ -f "$EMA" ] || { echo "ship_round: $EMA not found (no round has run yet?)" >&2; exit 2; }
RUN=runs/ship-$(date -u +%Y%m%d-%H%M%S)
STEPS=$("$PY" -c 'import json; print(json.load(open("models/palette-small/manifest.json"))["default_steps"])')
"$PY" -m palette_desktop export "$EMA" "$RUN/model" --name palette-small --steps "$STEPS"
"$PY" -m palette_desktop eval "$RUN/model" "$VAL" --out "$RUN/eval" --limit "$LIMIT" | grep -v '^eval: '
"$PY" -m palette_desktop eval models/palette-small "$VAL" --out "$RUN/eval-shipped" --limit "$LIMIT" \
    | grep -v '^eval: '
echo "grids: $RUN/eval/grid.png (candidate), $RUN/eval-shipped/grid.png (shipped)"
if ! "$PY" -m palette_desktop.model.shipping "$RUN/eval/scores.json" "$RUN/eval-shipped/scores.json"; then
    echo "not shipped; the round stays in the chain for the next one"
    exit 1
fi
if [ "$SHIP" = 1 ]; then
    cp "$RUN/model/model.onnx" "$RUN/model/model.pt" "$RUN/model/manifest.json" models/palette-small/
    echo "shipped: models/palette-small replaced; update its MODEL_CARD.md and docs/training-log.md"
else
    echo "better; run again with --ship to replace models/palette-small"
fi
