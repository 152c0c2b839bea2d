"""The four restoration tasks, each a plain function of pixels, parameters, model and progress."""
