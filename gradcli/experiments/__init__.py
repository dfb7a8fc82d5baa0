"""Across runs: the runs table, comparing runs, hyperparameter sweeps."""
