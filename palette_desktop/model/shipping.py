"""Whether a trained candidate should replace the shipped model, from two evals on the same photos.

    python -m palette_desktop.model.shipping CANDIDATE/scores.json SHIPPED/scores.json

Reads the ``scores.json`` that ``palette-desktop eval`` writes, prints the candidate's
change per task, and exits 0 when it is better overall, 1 when it is not. The rule
(issue 18): no restoration task (jpeg, scan) may drop by more than 0.1 dB; a task that
makes new content (inpaint, extend, colorize) may not lose PSNR (a change the eval's two
decimals show: any retraining moves an unchanged task by thousandths) unless its realism gains
(texture in the new pixels, colorfulness), since a blur or a gray photo scores well on PSNR
alone; and some task must gain for real (0.1 dB, or realism). The grid is still to be
looked at by eye: no number sees a colour cast.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

RESTORATION = ("jpeg", "scan")
GENERATIVE = ("inpaint", "extend", "colorize")
MAX_RESTORATION_DROP_DB = 0.1
MIN_GAIN_DB = 0.1
# The eval reports PSNR to 0.01 dB; a made-up region "loses" only what rounds to a loss
# there (round 5's extend moved by -0.0006 dB at the same texture).
EVAL_RESOLUTION_DB = 0.01
# A made-up region may lose this much PSNR if its realism gains at least REALISM_GAIN
# of the truth's (texture or colorfulness): detail that is plausible but not the truth's
# costs PSNR by nature.
MAX_GENERATIVE_DROP_DB = 0.5
REALISM_GAIN = 0.05


@dataclass(frozen=True)
class TaskChange:
    case: str
    psnr_db: float  # candidate minus shipped
    realism: float | None  # candidate minus shipped, as a share of the truth's (None: not measured)


@dataclass(frozen=True)
class Verdict:
    better: bool
    changes: list[TaskChange]
    reasons: list[str]


def _realism(case: str, methods: dict[str, dict[str, float]]) -> float | None:
    key = "colorfulness" if case == "colorize" else "texture"
    truth = methods.get("truth", {}).get(key)
    ours = methods.get("ours", {}).get(key)
    return None if not truth or ours is None else ours / truth


def compare(candidate: dict, shipped: dict) -> Verdict:
    """The rule above applied to two ``scores.json`` contents (the same cases, photos and seeds)."""
    changes, reasons, gains = [], [], []
    for case in candidate:
        if case not in shipped:
            continue
        new, old = candidate[case], shipped[case]
        psnr_db = new["ours"]["psnr"] - old["ours"]["psnr"]
        realism_new, realism_old = _realism(case, new), _realism(case, old)
        realism = None if realism_new is None or realism_old is None or case in RESTORATION \
            else realism_new - realism_old
        changes.append(TaskChange(case, psnr_db, realism))
        if case in RESTORATION and psnr_db < -MAX_RESTORATION_DROP_DB:
            reasons.append(f"{case} drops {-psnr_db:.2f} dB (at most {MAX_RESTORATION_DROP_DB} allowed)")
        if case in GENERATIVE and psnr_db <= -EVAL_RESOLUTION_DB / 2:
            realism_gained = realism is not None and realism >= REALISM_GAIN
            if not realism_gained:
                reasons.append(f"{case} loses {-psnr_db:.2f} dB with no gain in realism")
            elif psnr_db < -MAX_GENERATIVE_DROP_DB:
                reasons.append(f"{case} loses {-psnr_db:.2f} dB, more than its realism gain pays for")
        if psnr_db >= MIN_GAIN_DB or (case in GENERATIVE and realism is not None and realism >= REALISM_GAIN
                                       and psnr_db >= -MAX_GENERATIVE_DROP_DB):
            gains.append(case)
    if not gains:
        reasons.append(f"no task gains {MIN_GAIN_DB} dB or realism")
    return Verdict(not reasons, changes, reasons)


def describe(verdict: Verdict) -> str:
    lines = ["| task | PSNR change | realism change (share of the truth's) |", "|---|---|---|"]
    for change in verdict.changes:
        realism = "—" if change.realism is None else f"{change.realism:+.0%}"
        lines.append(f"| {change.case} | {change.psnr_db:+.2f} dB | {realism} |")
    lines.append("")
    lines.append("verdict: better overall; look at the grid before shipping" if verdict.better
                 else "verdict: not better: " + "; ".join(verdict.reasons))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m palette_desktop.model.shipping CANDIDATE/scores.json SHIPPED/scores.json",
              file=sys.stderr)
        return 2
    candidate, shipped = (json.loads(Path(a).read_text(encoding="utf-8")) for a in args)
    verdict = compare(candidate, shipped)
    print(describe(verdict))
    return 0 if verdict.better else 1


if __name__ == "__main__":
    sys.exit(main())
