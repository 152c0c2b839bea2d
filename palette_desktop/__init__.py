"""Palette Desktop: offline restoration of old photographs with an image-to-image diffusion model."""

import os

__version__ = "0.1.0"

# ONNX Runtime (1.2x+ on Linux and macOS) starts its telemetry when it is imported: it
# writes a device id under ~/.cache/Microsoft and queues events for upload. Its runtime
# switch, disable_telemetry_events(), comes too late for that; this variable, read at
# import, stops all of it. Every entry point (CLI, window, bundle) imports this package
# before ONNX Runtime, so setting it here covers them all. Nothing goes on the network.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
