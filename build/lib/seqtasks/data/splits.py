"""The base of every seqtasks datamodule: the three loaders come from one `_loader(split)`."""

from __future__ import annotations

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
