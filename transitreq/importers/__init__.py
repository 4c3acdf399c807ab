"""Loaders that validate a whole dataset first, then write it in one transaction."""
