"""The optional hooks a datamodule may offer beyond Lightning's, each declared once as a Protocol
(structural: a datamodule offers a hook by defining it). Training, reports and prediction ask
`isinstance(datamodule, Describes)` and the like instead of probing for names."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from torch.utils.data import DataLoader


@runtime_checkable
class SavesArtifacts(Protocol):
    """Writes what a non-Python caller needs beside the checkpoints (tokenizer.json, labels.json,
    normalization or scaling statistics) into the run directory."""

    def save_artifacts(self, run_dir: Path) -> None: ...


@runtime_checkable
class ReadsRawInputs(Protocol):
    """Turns raw inputs (texts, audio paths, series files) into batches for prediction."""

    def read_inputs(self, inputs: list[str]) -> list: ...

    def predict_loader(self, items: list) -> DataLoader: ...


@runtime_checkable
class Describes(Protocol):
    """A short human-readable description of rows of a split (a text, a file name), for reports."""

    def describe(self, split: str, indices: list[int]) -> list[str]: ...


@runtime_checkable
class LabelsSteps(Protocol):
    """One label per time step of a row (its tokens, its frame times), for the gate plots."""

    def step_labels(self, split: str, index: int) -> list[str]: ...


@runtime_checkable
class CrossValidated(Protocol):
    """A datamodule whose test loader serves a held-out fold of the training split when
    `cv_folds` is set: its scores are cv/*, never test/*."""

    cv_folds: int | None


@runtime_checkable
class HasSpeakers(Protocol):
    """The speaker of each row (audio), for accuracy per speaker."""

    def speakers(self, split: str, indices: list[int]) -> list[str]: ...
