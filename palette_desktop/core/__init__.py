"""Image handling free of Qt and torch: I/O, masks, tiling, colour, degradations, progress."""
