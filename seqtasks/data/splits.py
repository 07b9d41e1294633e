"""The base of every seqtasks datamodule (the three loaders come from one `_loader(split)`), and
the one check that a split's labels are labels the model knows."""

from __future__ import annotations

from collections.abc import Iterable

import pytorch_lightning as pl
from torch.utils.data import DataLoader


class SplitDataModule(pl.LightningDataModule):
    """Subclasses build `_loader("train" | "validation" | "test")`; Lightning's hooks map to it."""

    def _loader(self, split: str) -> DataLoader:
        raise NotImplementedError

    def train_dataloader(self) -> DataLoader:
        return self._loader("train")

    def val_dataloader(self) -> DataLoader:
        return self._loader("validation")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")


def check_known_labels(labels: Iterable[str], known: list[str], where: str) -> None:
    """Refuses labels outside `known` (the training split's, or a checkpoint's), naming `where` they
    were found ("in data/test.csv", "of the test split") and the known ones."""
    unseen = sorted(set(labels) - set(known))
    if unseen:
        raise ValueError(f"label(s) {unseen} {where} never appear in training; training labels: {known}")
