"""The network's condition built in torch, on whole batches on the GPU, for training.

The same condition as ``core.conditions.build_condition`` (the application's), from the
same damaged photos: training moves the gray conversion and the hole fill to the GPU,
where they cost nothing, instead of the loader's CPU cores. Tests hold the two within
1/255 of each other.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from palette_desktop.core.conditions import WHOLE_IMAGE_MASK, Task
from palette_desktop.core.fill import EMPTY_VALUE, LOCALITY

TASK_CODES = {task: code for code, task in enumerate(Task)}
_LUMA = (0.299, 0.587, 0.114)  # Rec. 601, as OpenCV's RGB2GRAY in core.color.to_gray


def pushpull_fill(images: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) images with the pixels where ``hole`` (B, 1, H, W) > 0 filled; see core.fill."""
    known = (hole <= 0).to(images.dtype)
    levels = []
    weighted, weight = images * known, known
    while max(weight.shape[-2:]) > 1:
        levels.append((weighted, weight))
        weighted, weight = _half(weighted), _half(weight)
    colour = torch.where(weight > 0, weighted / weight.clamp_min(1e-12), torch.full_like(weighted, EMPTY_VALUE))
    for weighted, weight in reversed(levels):
        alpha = (LOCALITY * weight).clamp_max(1.0)
        colour = weighted * (alpha / weight.clamp_min(1e-12)) + (1.0 - alpha) * _double(colour, weighted.shape[-2:])
    return torch.where(known > 0, images, colour)


def _half(a: torch.Tensor) -> torch.Tensor:
    h, w = a.shape[-2:]
    return F.avg_pool2d(F.pad(a, (0, w % 2, 0, h % 2)), 2)


def _double(a: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    h, w = a.shape[-2:]
    big = F.interpolate(a, size=(2 * h, 2 * w), mode="bilinear", align_corners=False)
    return big[..., : shape[0], : shape[1]]


def gray(images: torch.Tensor) -> torch.Tensor:
    """Rec. 601 luma of (B, 3, H, W) images, replicated to three channels."""
    weights = images.new_tensor(_LUMA).view(1, 3, 1, 1)
    return (images * weights).sum(1, keepdim=True).expand(-1, 3, -1, -1)


def build_conditions(source: torch.Tensor, generate: torch.Tensor, tasks: torch.Tensor) -> torch.Tensor:
    """(B, 4, H, W) conditions in [0, 1] from damaged photos (B, 3, H, W) in [0, 1].

    ``generate`` (B, 1, H, W) is the hole for inpaint and extend, ``tasks`` (B,) holds
    each example's code in ``TASK_CODES``.
    """
    code = tasks.view(-1, 1, 1, 1)
    is_colorize, is_jpeg = code == TASK_CODES[Task.COLORIZE], code == TASK_CODES[Task.JPEG]
    rgb = torch.where(is_colorize, gray(source), torch.where(is_jpeg, source, pushpull_fill(source, generate)))
    mask = torch.where(is_colorize, WHOLE_IMAGE_MASK[Task.COLORIZE],
                       torch.where(is_jpeg, WHOLE_IMAGE_MASK[Task.JPEG], (generate > 0).to(source.dtype)))
    return torch.cat([rgb, mask.to(source.dtype)], dim=1)
