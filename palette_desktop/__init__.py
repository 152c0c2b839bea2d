"""Palette Desktop: offline restoration of old photographs with an image-to-image diffusion model."""

__version__ = "0.1.0"
