"""Denoisers behind one interface: ONNX Runtime (CUDA, then CPU) and torch (CUDA, then CPU)."""
