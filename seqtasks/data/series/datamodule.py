"""Forecasting data: a table with a time column -> standardized series -> (look-back, horizon) windows."""

from __future__ import annotations

import importlib.resources
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from seqtasks.data.batching import epoch_loader
from seqtasks.data.splits import SplitDataModule
from seqtasks.values import check_positive_int

log = logging.getLogger(__name__)
MISSING_POLICIES = ("interpolate", "ffill", "error")
TIME_ORDER_POLICIES = ("error", "sort")
SPLITS = ("chronological", "ett_hourly")
ETT_HOURLY_BORDERS = (8640, 11520, 14400)  # 12 / 4 / 4 months of hourly rows (Informer's split)


def builtin_series_path(name: str) -> Path:
    """Real series that packages ship, read as files (no import of the package's loader)."""
    if name == "co2":  # Mauna Loa weekly CO2, 1958-2001, with 59 missing weeks
        return Path(str(importlib.resources.files("statsmodels.datasets.co2") / "co2.csv"))
    raise ValueError(f"data.builtin='{name}' is not one of ['co2']")


def read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} does not exist")
    if path.suffix not in (".csv", ".parquet"):
        raise ValueError(f"data file {path}: suffix '{path.suffix}' is not one of ['.csv', '.parquet']")
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


class WindowDataset(Dataset):
    """Windows with stride 1 over a standardized series: input rows [s, s+L), target rows
    [s+L, s+L+H) of the target columns. Batches are gathered at once (`__getitems__`)."""

    def __init__(
        self,
        values: torch.Tensor,
        start: int,
        stop: int,
        lookback: int,
        horizon: int,
        target_index: list[int],
    ):
        self.values, self.lookback, self.horizon = values, lookback, horizon  # values: (N, C)
        self.starts = torch.arange(start, stop - lookback - horizon + 1)
        self.target_index = torch.tensor(target_index)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitems__(self, indices: list[int]):
        s = self.starts[torch.as_tensor(indices)][:, None]  # (B, 1)
        x = self.values[s + torch.arange(self.lookback)]  # -> (B, L, C)
        y = self.values[s + self.lookback + torch.arange(self.horizon)][..., self.target_index]  # (B, H, K)
        return x, y

    def __getitem__(self, i: int):
        x, y = self.__getitems__([i])
        return x[0], y[0]


def _stack(batch):
    return batch if isinstance(batch, tuple) else tuple(torch.stack(t) for t in zip(*batch, strict=True))


class SeriesDataModule(SplitDataModule):
    """A multivariate series from a CSV/parquet file (`path`) or a shipped one (`builtin`).

    Inputs are the `targets` plus `covariates` columns (all numeric columns when `targets` is
    null); the model predicts the next `horizon` rows of the targets from `lookback` rows.
    Splits are chronological: by `fractions` (train/val/test), or the ETT hourly convention;
    validation and test windows may look back into the part before them, targets never cross.
    Standardization is fitted on the training rows and saved in the checkpoint.
    """

    def __init__(
        self,
        path: str | None = None,
        builtin: str | None = None,
        time_column: str = "date",
        time_format: str | None = None,
        targets: list[str] | None = None,
        covariates: list[str] | None = None,
        lookback: int = 96,
        horizon: int = 96,
        split: str = "chronological",
        fractions: tuple[float, float, float] = (0.7, 0.1, 0.2),
        missing: str = "interpolate",
        time_order: str = "error",
        batch_size: int = 64,
        num_workers: int = 0,
        seed: int = 0,
    ):
        super().__init__()
        if (path is None) == (builtin is None):
            raise ValueError("give exactly one of data.path (a CSV/parquet file) or data.builtin ('co2')")
        for name, value, allowed in (
            ("missing", missing, MISSING_POLICIES),
            ("split", split, SPLITS),
            ("time_order", time_order, TIME_ORDER_POLICIES),
        ):
            if value not in allowed:
                raise ValueError(f"data.{name}='{value}' is not one of {list(allowed)}")
        for name, value in (("lookback", lookback), ("horizon", horizon), ("batch_size", batch_size)):
            check_positive_int(f"data.{name}", value)
        if len(fractions) != 3 or min(fractions) <= 0 or abs(sum(fractions) - 1) > 1e-6:
            raise ValueError(f"data.fractions={list(fractions)} must be three positive numbers summing to 1")
        self.path = Path(path) if path is not None else builtin_series_path(builtin)
        self.time_column, self.time_format = time_column, time_format
        self.targets, self.covariates = (list(targets) if targets else None), list(covariates or [])
        self.lookback, self.horizon, self.split, self.fractions = lookback, horizon, split, fractions
        self.missing, self.time_order = missing, time_order
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed
        self.values: torch.Tensor | None = None

    # ---- reading and checking ------------------------------------------------------------
    def _read_frame(self, path: Path) -> tuple[pd.DataFrame, dict]:
        """The time-indexed numeric table with missing values handled; stats count each fix."""
        df, stats = read_table(path), {}
        if self.time_column not in df.columns:
            raise ValueError(
                f"{path}: time column '{self.time_column}' not found; columns are {list(df.columns)}"
            )
        raw_time = df.pop(self.time_column)
        time = self._parse_times(raw_time, path)
        if self.targets is None:
            self.targets = [c for c in df.columns if c not in self.covariates]
        for col in self.targets + self.covariates:
            if col not in df.columns:
                raise ValueError(f"{path}: column '{col}' not found; columns are {list(df.columns)}")
        df = df[self.targets + self.covariates]
        for col in df.columns:
            numeric = pd.to_numeric(df[col], errors="coerce")
            bad = numeric.isna() & df[col].notna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ValueError(
                    f"{path}: column '{col}' has a non-numeric value {df[col].iloc[row]!r} at row {row}"
                )
            infinite = np.isinf(numeric.to_numpy(dtype="float64"))
            if infinite.any():  # inf, -inf, Infinity, or a number too large for a float
                row = int(np.flatnonzero(infinite)[0])
                raise ValueError(
                    f"{path}: column '{col}' has a non-finite value {numeric.iloc[row]} at row {row} "
                    f"({int(infinite.sum())} in the column); leave a cell empty for a missing value "
                    "(data.missing fills it)"
                )
            df[col] = numeric.astype("float64")
        df.index = pd.DatetimeIndex(time, name=self.time_column)
        df, stats = self._order_by_time(df, stats, path)
        return self._fill_missing(df, stats, path)

    def _parse_times(self, raw: pd.Series, path: Path) -> pd.Series:
        """The time column as datetimes; a cell that is not a time is refused naming file, column
        and row (pandas' own error names neither)."""
        text = raw.astype(str) if self.time_format else raw
        try:
            return pd.to_datetime(text, format=self.time_format)
        except (ValueError, TypeError):
            parsed = pd.to_datetime(text, format=self.time_format, errors="coerce")
            bad = np.flatnonzero((parsed.isna() & raw.notna()).to_numpy())
            row = int(bad[0]) if len(bad) else 0
            hint = ("check data.time_format" if self.time_format
                    else "set data.time_format, e.g. %Y-%m-%d %H:%M")
            raise ValueError(f"{path}: time column '{self.time_column}' has {raw.iloc[row]!r} at row {row}, "
                             f"which is not a time ({len(bad)} such cells); {hint}") from None

    def _order_by_time(self, df: pd.DataFrame, stats: dict, path: Path) -> tuple[pd.DataFrame, dict]:
        duplicates = int(df.index.duplicated().sum())
        unsorted = not df.index.is_monotonic_increasing
        if duplicates or unsorted:
            what = f"{duplicates} duplicate times" if duplicates else "times that are not increasing"
            if self.time_order == "error":
                raise ValueError(
                    f"{path}: time column '{self.time_column}' has {what} "
                    "(data.time_order=sort sorts and keeps the first of each duplicate)"
                )
            df = df.sort_index(kind="stable")
            df = df[~df.index.duplicated(keep="first")]
            stats["duplicate_times_dropped"] = duplicates
            log.warning("%s: sorted by time and dropped %d duplicate times", path, duplicates)
        return df, stats

    def _fill_missing(self, df: pd.DataFrame, stats: dict, path: Path) -> tuple[pd.DataFrame, dict]:
        missing = int(df.isna().sum().sum())
        stats["missing_values_filled"] = missing
        if missing:
            if self.missing == "error":
                col = df.columns[df.isna().any()][0]
                row = int(np.flatnonzero(df[col].isna().to_numpy())[0])
                raise ValueError(
                    f"{path}: column '{col}' has {missing} missing values in all, "
                    f"first at row {row} (data.missing=interpolate or ffill fills them)"
                )
            df = (
                df.interpolate(limit_direction="both")
                if self.missing == "interpolate"
                else df.ffill().bfill()
            )
            log.info("%s: filled %d missing values (%s)", path, missing, self.missing)
        return df, stats

    def borders(self, n: int) -> tuple[int, int, int]:
        """End rows of train, validation and test."""
        if self.split == "ett_hourly":
            if n < ETT_HOURLY_BORDERS[-1]:
                raise ValueError(
                    f"{self.path}: data.split=ett_hourly needs {ETT_HOURLY_BORDERS[-1]} rows, has {n}"
                )
            return ETT_HOURLY_BORDERS
        train_end = int(n * self.fractions[0])
        return train_end, n - int(n * self.fractions[2]), n

    # ---- Lightning hooks -----------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.values is not None:
            return
        df, self.stats = self._read_frame(self.path)
        train_end, val_end, test_end = self.borders(len(df))
        train = df.iloc[:train_end].to_numpy()
        self.mean, self.std = train.mean(0), train.std(0)
        self.std[self.std == 0] = 1.0  # a constant column stays constant, not NaN
        values = torch.tensor((df.to_numpy() - self.mean) / self.std, dtype=torch.float32)  # (N, C)
        L, H = self.lookback, self.horizon
        parts = {
            "train": (0, train_end),
            "validation": (train_end - L, val_end),
            "test": (val_end - L, test_end),
        }
        for name, (start, stop) in parts.items():
            if stop - max(start, 0) < L + H:
                raise ValueError(
                    f"{self.path}: the {name} part has {stop - max(start, 0)} rows of {len(df)} "
                    f"(look-back included), fewer than lookback + horizon = {L + H}"
                )
        target_index = list(range(len(self.targets)))
        self.windows = {
            k: WindowDataset(values, max(a, 0), b, L, H, target_index) for k, (a, b) in parts.items()
        }
        self.values = values
        self.stats.update(rows=len(df), **{f"{k}_windows": len(w) for k, w in self.windows.items()})

    def model_kwargs(self) -> dict:
        """Sizes and scales the forecaster takes from the data (never typed twice)."""
        k = len(self.targets)
        return dict(
            num_inputs=self.values.shape[1],
            target_names=list(self.targets),
            lookback=self.lookback,
            horizon=self.horizon,
            target_mean=self.mean[:k].tolist(),
            target_std=self.std[:k].tolist(),
        )

    def state_dict(self) -> dict:
        """Saved in every checkpoint: what prediction needs to standardize inputs and undo it."""
        return dict(
            targets=list(self.targets),
            covariates=list(self.covariates),
            columns=self.targets + self.covariates,
            mean=self.mean.tolist(),
            std=self.std.tolist(),
            time_column=self.time_column,
            lookback=self.lookback,
            horizon=self.horizon,
        )

    def load_state_dict(self, state: dict) -> None:
        """Adopts a checkpoint's columns, scaling and window sizes, so new series are read and
        standardized as the model was trained."""
        self.targets, self.covariates = list(state["targets"]), list(state["covariates"])
        self.mean, self.std = np.asarray(state["mean"]), np.asarray(state["std"])
        self.time_column = state["time_column"]
        self.lookback, self.horizon = state["lookback"], state["horizon"]

    # ---- prediction on new series --------------------------------------------------------
    def read_inputs(self, inputs: list[str]) -> list[str]:
        """CSV or parquet files to forecast from: each gets one forecast of the `horizon` steps
        after its last row, from its last `lookback` rows (checked here, before any work)."""
        for item in inputs:
            self._last_window(Path(str(item)))
        return [str(item) for item in inputs]

    def _last_window(self, path: Path) -> torch.Tensor:
        df, _ = self._read_frame(path)
        if len(df) < self.lookback:
            raise ValueError(f"{path}: {len(df)} rows, fewer than the model's lookback {self.lookback}")
        window = (df.to_numpy()[-self.lookback :] - self.mean) / self.std
        return torch.tensor(window, dtype=torch.float32)  # -> (L, C)

    def predict_loader(self, paths: list[str]) -> DataLoader:
        """Batches (x [B, L, C], placeholder targets [B, H, K]) in input order."""
        x = torch.stack([self._last_window(Path(p)) for p in paths])
        y = torch.zeros(len(paths), self.horizon, len(self.targets))
        return DataLoader(list(zip(x, y, strict=True)), batch_size=self.batch_size, collate_fn=_stack)

    def save_artifacts(self, run_dir: Path) -> None:
        """scaling.json: the training mean and standard deviation of every column."""
        (Path(run_dir) / "scaling.json").write_text(json.dumps(self.state_dict(), indent=1))

    def _loader(self, split: str) -> DataLoader:
        return epoch_loader(self.windows[split], self.batch_size, shuffle=split == "train",
                            seed=self.seed, trainer=self.trainer, num_workers=self.num_workers,
                            collate_fn=_stack)
