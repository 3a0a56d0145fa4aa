"""Helpers every script shares: one-sentence errors (errors), devices, safe files, checkpoints."""
