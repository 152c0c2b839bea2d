"""Backends, manifests and what happens when a model is missing or damaged."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from palette_desktop.core.errors import ModelError
from palette_desktop.core.pixels import to_float
from palette_desktop.engine.loader import Backend, default_model_dir, find_models, load_model
from palette_desktop.engine.manifest import read_manifest


@pytest.mark.parametrize("height, width", [(64, 96), (62, 90)])  # 31×45 pools to 16×23 for attention
def test_onnx_and_torch_agree(tiny_model_dir, shirt, height, width):
    onnx = load_model(tiny_model_dir, Backend.ONNX, "cpu")
    torch_ = load_model(tiny_model_dir, Backend.TORCH, "cpu")
    rng = np.random.default_rng(0)
    image = to_float(shirt.pixels[:height, :width]).transpose(2, 0, 1)[None] * 2 - 1
    condition = np.concatenate([image, np.ones_like(image[:, :1])], axis=1).astype(np.float32)
    noisy = rng.standard_normal((1, 3, height, width)).astype(np.float32)
    gamma = np.array([0.3], np.float32)
    a = onnx.denoiser.denoise(noisy, gamma, condition)
    b = torch_.denoiser.denoise(noisy, gamma, condition)
    assert a.shape == b.shape == (1, 3, height, width)
    # torch runs the fp16-stored weights in fp32; ONNX holds the fp32 originals
    assert np.abs(a - b).max() < 2e-2
    assert np.abs(a - condition[:, :3]).max() > 1e-2  # the network did something


def test_the_provider_in_use_is_reported(tiny_model):
    assert tiny_model.backend_name == "ONNX Runtime · CPU"


def test_cuda_asked_for_without_a_gpu_is_a_clear_error(tiny_model_dir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ModelError, match="CUDA"):
        load_model(tiny_model_dir, Backend.TORCH, "cuda")


def test_changed_file_is_refused(tiny_model_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    with open(copy / "model.onnx", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="checksum does not match"):
        load_model(copy, Backend.ONNX)


def test_corrupt_onnx_with_matching_manifest_is_refused(tiny_model_dir, tmp_path):
    from palette_desktop.engine.manifest import write_manifest

    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    (copy / "model.onnx").write_bytes(b"not a network")
    write_manifest(copy, read_manifest(copy))
    with pytest.raises(ModelError, match="ONNX Runtime cannot load it"):
        load_model(copy, Backend.ONNX)
    (copy / "model.pt").write_bytes(b"not weights")
    write_manifest(copy, read_manifest(copy))
    with pytest.raises(ModelError, match="cannot read the weights"):
        load_model(copy, Backend.TORCH)


def test_missing_model_or_manifest(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "nowhere")
    with pytest.raises(ModelError, match="no manifest.json"):
        load_model(tmp_path)
    (tmp_path / "manifest.json").write_text("{broken")
    with pytest.raises(ModelError, match="unreadable manifest"):
        load_model(tmp_path)


def test_the_bundled_model_loads_and_is_listed(tiny_model_dir):
    model = load_model()
    assert model.manifest.tasks == ("colorize", "inpaint", "extend", "jpeg")
    assert model.manifest.working_size % model.manifest.size_multiple == 0
    names = [m.name for _, m in find_models((tiny_model_dir,))]
    assert model.manifest.name in names and "tiny-test" in names
    assert json.loads((default_model_dir() / "manifest.json").read_text())["onnx_sha256"]


def test_the_manifest_says_what_share_of_the_steps_each_walk_takes(tiny_model_dir, tmp_path, shirt):
    from palette_desktop.core.conditions import Task
    from palette_desktop.core.progress import TaskState
    from palette_desktop.tasks.common import SamplingOptions
    from palette_desktop.tasks.run import TaskRequest, apply_task

    copy = tmp_path / "slow-restorer"
    shutil.copytree(tiny_model_dir, copy)
    data = json.loads((copy / "manifest.json").read_text())
    data["step_shares"] = {"generate": 1.0, "restore": 0.5}
    (copy / "manifest.json").write_text(json.dumps(data))
    state = TaskState()
    apply_task(shirt, TaskRequest(Task.JPEG, SamplingOptions(steps=12)), load_model(copy, Backend.ONNX, "cpu"), state)
    assert state.done == state.total == 2 * 6  # two tiles, half of the 12 steps each
    data["step_shares"] = {"generate": 1.0, "restore": 0}
    (copy / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ModelError, match="step_shares must give generate and restore a share over 0"):
        load_model(copy, Backend.ONNX)
