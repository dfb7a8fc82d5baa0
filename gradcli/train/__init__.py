"""Training: the loop, its callbacks, checkpoints, metrics and curves."""
