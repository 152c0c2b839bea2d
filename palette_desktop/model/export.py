"""Writing a trained UNet as a model folder: ONNX + torch weights + manifest + card."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from palette_desktop.diffusion.samplers import PredictionKind
from palette_desktop.diffusion.schedules import ScheduleKind
from palette_desktop.engine.manifest import Manifest, write_manifest
from palette_desktop.model.unet import PaletteUNet

ONNX_FILE = "model.onnx"
TORCH_FILE = "model.pt"
ALL_TASKS = ("colorize", "inpaint", "extend", "jpeg")


def export_model(model: PaletteUNet, out_dir: Path, *, name: str, card: str,
                 schedule: ScheduleKind = ScheduleKind.COSINE, prediction: PredictionKind = PredictionKind.X0,
                 working_size: int = 256, default_steps: int = 20, description: str = "",
                 tasks: tuple[str, ...] = ALL_TASKS) -> Manifest:
    """Export with dynamic batch, height and width; returns the manifest written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The weights ship in fp16 (model.pt, and the ONNX file's initializers below): rounding
    # them here gives both backends the very same network.
    model = model.half().float().eval().cpu()
    cfg = model.config
    m = cfg.size_multiple * 4
    example = (torch.zeros(1, cfg.image_channels, m, m), torch.full((1,), 0.5),
               torch.zeros(1, cfg.condition_channels, m, m))
    dims = {0: "batch", 2: "height", 3: "width"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # For inference: eval mode, constants folded; ONNX Runtime fuses the rest (SiLU, the
        # NCHWc convolutions) when it loads it. Saving ORT's own optimised graph instead
        # made neither loading nor a step measurably faster.
        torch.onnx.export(model, example, str(out_dir / ONNX_FILE), input_names=["noisy", "gamma", "condition"],
                          output_names=["prediction"], opset_version=17, dynamo=False, do_constant_folding=True,
                          dynamic_axes={"noisy": dims, "condition": dims, "gamma": {0: "batch"}, "prediction": dims})
    store_weights_in_fp16(out_dir / ONNX_FILE)
    torch.save({k: v.half() for k, v in model.state_dict().items()}, out_dir / TORCH_FILE)
    (out_dir / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    manifest = Manifest(name=name, tasks=tuple(tasks), schedule=schedule, prediction=prediction,
                        working_size=working_size, size_multiple=cfg.size_multiple, onnx_file=ONNX_FILE,
                        onnx_sha256="", torch_file=TORCH_FILE, image_channels=cfg.image_channels,
                        condition_channels=cfg.condition_channels, default_steps=default_steps,
                        unet=cfg.to_dict(), description=description)
    return write_manifest(out_dir, manifest)


def store_weights_in_fp16(onnx_path: Path) -> None:
    """Keep the ONNX file's fp32 weights as fp16 where that loses nothing, each cast back to fp32.

    The network still computes in fp32: ONNX Runtime folds each cast into an fp32 weight
    when it loads the file. The file is half the size, for the installer (which has a size
    limit) and for the git history every shipped model adds to. Constants folded at export
    that fp16 cannot hold exactly stay fp32.
    """
    model = onnx.load(str(onnx_path))
    graph = model.graph
    casts, kept = [], []
    for init in graph.initializer:
        weights = numpy_helper.to_array(init)
        if init.data_type != onnx.TensorProto.FLOAT or weights.size < 2 \
                or not np.array_equal(weights.astype(np.float16).astype(np.float32), weights):
            kept.append(init)
            continue
        half = numpy_helper.from_array(weights.astype(np.float16), f"{init.name}__fp16")
        kept.append(half)
        casts.append(onnx.helper.make_node("Cast", [half.name], [init.name], to=onnx.TensorProto.FLOAT,
                                           name=f"{init.name}__to_fp32"))
    graph.ClearField("initializer")
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    graph.ClearField("node")
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(onnx_path))
