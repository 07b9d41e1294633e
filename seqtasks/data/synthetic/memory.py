"""The adding problem: a long-range memory task that a plain RNN cannot learn once T is large."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from seqtasks.data.batching import epoch_loader
from seqtasks.data.splits import SplitDataModule
from seqtasks.values import check_positive_int


def adding_problem(n: int, seq_len: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The common variant of the adding problem (Le et al. 2015; Arjovsky et al. 2016).

    Each step carries a value drawn from U[0, 1] and a marker; exactly two steps are marked, one
    in the first half of the sequence and one in the second. The target is the sum of the two
    marked values. Predicting the mean (1.0) scores MSE 1/6 ~ 0.167: the trivial baseline.
    Returns x (n, T, 2) and y (n,).
    """
    values = torch.rand(n, seq_len, generator=generator)
    half = seq_len // 2
    first = torch.randint(0, half, (n,), generator=generator)
    second = torch.randint(half, seq_len, (n,), generator=generator)
    markers = torch.zeros(n, seq_len)
    rows = torch.arange(n)
    markers[rows, first] = markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return torch.stack([values, markers], -1), y


class AddingDataModule(SplitDataModule):
    """Generated adding-problem sequences of length `seq_len`, deterministic for a seed
    (train, validation and test draw from separate seeds)."""

    def __init__(
        self,
        seq_len: int = 100,
        num_train: int = 20000,
        num_val: int = 2000,
        num_test: int = 2000,
        batch_size: int = 64,
        num_workers: int = 0,
        seed: int = 0,
    ):
        super().__init__()
        for name, value in (
            ("seq_len", seq_len),
            ("num_train", num_train),
            ("num_val", num_val),
            ("num_test", num_test),
            ("batch_size", batch_size),
        ):
            check_positive_int(f"data.{name}", value, minimum=2 if name == "seq_len" else 1,
                               note=" (seq_len >= 2)")
        self.seq_len, self.batch_size, self.num_workers, self.seed = seq_len, batch_size, num_workers, seed
        self.sizes = {"train": num_train, "validation": num_val, "test": num_test}
        self.splits: dict[str, TensorDataset] | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.splits is not None:
            return
        self.splits = {}
        for offset, (name, n) in enumerate(self.sizes.items()):
            g = torch.Generator().manual_seed(self.seed * 1000 + offset)
            self.splits[name] = TensorDataset(*adding_problem(n, self.seq_len, g))
        y = self.splits["train"].tensors[1]
        baseline = float(((self.splits["test"].tensors[1] - y.mean()) ** 2).mean())
        self.stats = {"seq_len": self.seq_len, "baseline_mse": round(baseline, 5), **self.sizes}

    def model_kwargs(self) -> dict:
        return dict(num_features=2)

    def state_dict(self) -> dict:
        return dict(seq_len=self.seq_len)

    def read_inputs(self, inputs: list[str]) -> list[str]:
        """CSV files to predict, one sequence each: two columns, `value` and `marker` (1 on the two
        steps to add), one row per step; each is checked here, before any prediction."""
        for item in inputs:
            _read_sequence(Path(str(item)))
        return [str(item) for item in inputs]

    def predict_loader(self, paths: list[str]) -> DataLoader:
        """Batches (x [B, T, 2], placeholder targets [B]) in input order; sequences of different
        lengths go one per batch (the task reads every step)."""
        rows = [(x, torch.zeros(())) for x in map(_read_sequence, map(Path, paths))]
        same_length = len({len(x) for x, _ in rows}) == 1
        return DataLoader(rows, batch_size=self.batch_size if same_length else 1, shuffle=False)

    def probe_batch(self, n: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
        """A fixed batch from the test split for gradient-norm measurements."""
        x, y = self.splits["test"].tensors
        return x[:n], y[:n]

    def _loader(self, split: str) -> DataLoader:
        return epoch_loader(self.splits[split], self.batch_size, shuffle=split == "train",
                            seed=self.seed, trainer=self.trainer, num_workers=self.num_workers)


def _read_sequence(path: Path) -> torch.Tensor:
    """One adding-problem sequence from a CSV with `value` and `marker` columns -> (T, 2)."""
    import pandas as pd

    if not path.is_file():
        raise FileNotFoundError(f"inputs: {path} does not exist")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
        raise ValueError(f"inputs: {path} is not a readable CSV ({' '.join(str(e).split())[:120]})") from None
    missing = [c for c in ("value", "marker") if c not in frame.columns]
    if missing:
        raise ValueError(f"inputs: {path} has no column {missing[0]!r} (columns: {list(frame.columns)}); "
                         "the adding problem reads value,marker rows")
    x = frame[["value", "marker"]].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(x).all(1)
    if bad.any():
        raise ValueError(f"inputs: {path} data row {int(np.argmax(bad)) + 1} holds a missing, non-numeric "
                         "or non-finite value")
    if len(x) < 2:
        raise ValueError(f"inputs: {path} has {len(x)} rows; a sequence needs at least 2")
    return torch.tensor(x, dtype=torch.float32)
