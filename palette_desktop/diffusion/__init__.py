"""Noise schedules, samplers and the refinement loop: numpy only, no Qt, no torch."""
