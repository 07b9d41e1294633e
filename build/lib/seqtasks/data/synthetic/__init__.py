"""Synthetic long-range memory tasks (the adding problem)."""

from seqtasks.data.synthetic.memory import AddingDataModule, adding_problem

__all__ = ["AddingDataModule", "adding_problem"]
