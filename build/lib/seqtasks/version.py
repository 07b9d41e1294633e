"""The package version: one source for pyproject, checkpoints and run_info."""

__version__ = "0.2.0"
