"""Denoiser on ONNX Runtime: CUDA when it really works here, else the CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from palette_desktop.core.errors import ModelError, OutOfMemory
from palette_desktop.engine.batching import split_on_oom

_PROVIDER_NAMES = {"CUDAExecutionProvider": "CUDA", "CPUExecutionProvider": "CPU",
                   "CoreMLExecutionProvider": "CoreML", "DmlExecutionProvider": "DirectML"}


def session_options():
    """ONNX Runtime's options for the application's networks (the UNet and the damage detector)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # a missing CUDA library is reported by the caller, not as a log flood
    # All graph optimisations: constant folding, SiLU fused (QuickGelu), and the CPU's
    # blocked NCHWc layout for the convolutions (a step 1.3× faster than the extended
    # level on a 2-core CPU). Intra-op threads stay at ORT's default, one per physical
    # core; one graph runs at a time, so no inter-op pool. Waiting threads sleep
    # instead of spinning: on a 2-core CPU that other programs (and the window) also
    # use, spinning made a step 1.3× slower.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_mem_pattern = True  # same-sized runs reuse one memory plan
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # onnxruntime-gpu logs a multi-line error when CUDA libraries are missing, then
    # falls back to the CPU; the caller reads the provider in use instead and says it plainly.
    ort.set_default_logger_severity(4)
    ort.disable_telemetry_events()  # Windows' ETW events; elsewhere ORT_DISABLE_TELEMETRY (package init)
    return options


class OnnxDenoiser:
    def __init__(self, onnx_path: Path, device: str = "auto") -> None:
        import onnxruntime as ort

        available = ort.get_available_providers()
        wanted = []
        if device in ("auto", "cuda") and "CUDAExecutionProvider" in available:
            wanted.append("CUDAExecutionProvider")
        if device == "cuda" and not wanted:
            raise ModelError("CUDA was asked for, but this ONNX Runtime has no CUDA provider")
        wanted.append("CPUExecutionProvider")
        options = session_options()
        try:
            self.session = ort.InferenceSession(str(onnx_path), options, providers=wanted)
        except Exception as exc:  # ORT raises its own untyped errors for bad files
            raise ModelError(f"{Path(onnx_path).name}: ONNX Runtime cannot load it ({str(exc).splitlines()[0][:160]})") from None
        in_use = self.session.get_providers()[0]
        if device == "cuda" and in_use != "CUDAExecutionProvider":
            raise ModelError("CUDA was asked for, but ONNX Runtime could not start it (no NVIDIA GPU or CUDA libraries)")
        self.device = _PROVIDER_NAMES.get(in_use, in_use)
        self.name = f"ONNX Runtime · {self.device}"

    def denoise(self, noisy: np.ndarray, gamma: np.ndarray, condition: np.ndarray) -> np.ndarray:
        return split_on_oom(self._run, noisy, gamma, condition)

    def _run(self, noisy: np.ndarray, gamma: np.ndarray, condition: np.ndarray) -> np.ndarray:
        try:
            return self.session.run(["prediction"], {"noisy": noisy, "gamma": gamma, "condition": condition})[0]
        except Exception as exc:  # ORT raises its own untyped errors
            if "alloc" in str(exc).lower() or "memory" in str(exc).lower():
                raise OutOfMemory(f"out of memory running the model at {noisy.shape[3]}×{noisy.shape[2]}") from None
            raise ModelError(f"the model failed on {self.device}: {str(exc).splitlines()[0][:200]}") from None
