"""Find scratches, cracks, tears and dust on a scanned print: a mask to inpaint.

A small U-Net (``model/damage_net.py``) marks each pixel, run by ONNX Runtime on the CPU
from ``resources/damage_net.onnx``. It was trained on synthetic damage drawn on training
photos, colour photos and old prints scanned again, cracked prints among them, with the
same photos undamaged as what to leave alone. On the validation photos it finds more of
the thin damage than the classical detector it replaced (morphological top-hats and a
classifier of connected components: F1 0.70 against 0.62 on colour photos, 0.68 against
0.60 on old scans) and the inside of wide cracks as well as their edges (80 % of it), but
masks more of an undamaged photo (0.8 % against 0.5 % on average); it runs 4-5 times
faster (``benchmarks/damage_detection.py``; docs/damage-detector.md).

What it cannot always tell from damage is what looks like it: regular bright lines and
bands (lit stripes on a floor, window frames, the pale patches of a camouflage print), a
thin wire against the sky, a catch-light in an eye. The user erases those from the mask
before inpainting.

The photo is examined at most :data:`DETECT_SIDE` px on its long side (damage on a large
scan is proportionally wider), in tiles that overlap by more than the network sees
around a pixel, and the mask is scaled back to the photo's size.
"""

from __future__ import annotations

import cv2
import numpy as np

from palette_desktop.core.errors import ModelError, OutOfMemory
from palette_desktop.core.pixels import area_shrink
from palette_desktop.engine.onnx_backend import session_options
from palette_desktop.resources import resource

DETECT_SIDE = 2048
"""Long side at which damage is looked for; larger photos are examined shrunk to it."""

TILE, HALO = 512, 32
"""Tiles of the examined photo, and the context each gets on every side (a pixel's mark depends on ±26 px).
Tiles of 512 take as long as tiles of 1024 and ONNX Runtime 0.3 GB less for its buffers."""

MULTIPLE = 4
"""The network takes heights and widths that are multiples of this: model.damage_net's
MULTIPLE, not imported from there because that module needs torch and the app does not."""

GROW = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
"""The mask reaches a pixel past what the network marks, so inpainting also replaces the
soft fringe along a scratch (as the classical detector's mask did)."""


def _session():
    """A new session for one photo: loading takes milliseconds, and ONNX Runtime's buffers
    (0.3 GB for a tile) go back with it instead of staying for the next photo."""
    import onnxruntime as ort

    path = resource("damage_net.onnx")
    try:
        return ort.InferenceSession(str(path), session_options(), providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own untyped errors for a missing or bad file
        reason = str(exc).splitlines()[0][:160]
        raise ModelError(f"{path.name}: the damage detector cannot be loaded ({reason})") from None


def detect_damage(pixels: np.ndarray) -> np.ndarray:
    """A mask the size of ``pixels`` (HxWx3 or HxW, any depth): 1.0 on damage, 0.0 elsewhere (float32)."""
    h, w = pixels.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(h, w))
    rgb = area_shrink(pixels[..., :3] if pixels.ndim == 3 else pixels, max(1, round(w * scale)),
                      max(1, round(h * scale)))
    rgb = np.ascontiguousarray(rgb if rgb.ndim == 3 else np.repeat(rgb[..., None], 3, axis=2))
    mask = np.zeros(rgb.shape[:2], np.uint8)
    session = _session()
    for (y0, y1), (x0, x1) in ((ys, xs) for ys in _spans(rgb.shape[0]) for xs in _spans(rgb.shape[1])):
        top, left = max(0, y0 - HALO), max(0, x0 - HALO)
        window = rgb[top:min(rgb.shape[0], y1 + HALO), left:min(rgb.shape[1], x1 + HALO)]
        found = _marked(session, window)
        mask[y0:y1, x0:x1] = found[y0 - top:y1 - top, x0 - left:x1 - left]
    del session, rgb
    mask = cv2.dilate(mask, GROW)
    if scale < 1.0:
        mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
    return mask.astype(np.float32)


def _spans(length: int) -> list[tuple[int, int]]:
    return [(start, min(length, start + TILE)) for start in range(0, length, TILE)]


def _marked(session, rgb: np.ndarray) -> np.ndarray:
    """1 where the network says damage, for one window (reflect-padded to the multiple)."""
    h, w = rgb.shape[:2]
    pad = ((0, -h % MULTIPLE), (0, -w % MULTIPLE), (0, 0))
    padded = np.pad(rgb, pad, mode="reflect" if min(h, w) > MULTIPLE else "edge")
    try:
        (out,) = session.run(["damage"], {"rgb": np.ascontiguousarray(padded.transpose(2, 0, 1)[None])})
    except Exception as exc:  # ORT raises its own untyped errors
        if "alloc" in str(exc).lower() or "memory" in str(exc).lower():
            raise OutOfMemory("out of memory while looking for damage") from None
        raise ModelError(f"the damage detector failed: {str(exc).splitlines()[0][:200]}") from None
    return (out[0, 0, :h, :w] > 0).astype(np.uint8)
