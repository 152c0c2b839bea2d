"""Torch only: the UNet, training, export to ONNX, evaluation."""
