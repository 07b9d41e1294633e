"""The data side: padding computed with and without length bucketing, the share of a training
epoch spent waiting for batches, and how preparation time and memory grow with the data."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from seqtasks.benchmark.common import fit_without_validation, ready_data
from seqtasks.data import TextDataModule
from seqtasks.data.batching import LengthBucketedBatchSampler

DATA_NEXT, EPOCH = "[_TrainingEpochLoop].train_dataloader_next", "run_training_epoch"


def padding_fractions(overrides: list[str]) -> dict:
    """Share of computed time steps that are padding over one training epoch (the dataset's own
    batch size), with length bucketing and without."""
    cfg, data = ready_data(overrides)
    lengths = data.lengths("train")
    fractions = {
        f"padding_fraction_{name}": round(LengthBucketedBatchSampler(
            lengths, cfg.data.batch_size, shuffle=True, seed=0, bucket=bucket).padding_fraction(), 4)
        for name, bucket in (("bucketed", True), ("unbucketed", False))}
    return fractions | {"rows": len(lengths), "mean_length": round(float(lengths.float().mean()), 1),
                        "max_length": int(lengths.max()), "batch_size": cfg.data.batch_size}


def data_wait(overrides: list[str], epochs: int = 1) -> dict:
    """Data preparation seconds, then `epochs` of training (no validation) under Lightning's
    SimpleProfiler: data_wait_fraction = time in the loader's `next` / time in training epochs."""
    start = time.perf_counter()
    cfg, data = ready_data(overrides)
    prep = time.perf_counter() - start
    profiler = {"_target_": "pytorch_lightning.profilers.SimpleProfiler", "dirpath": "${output_dir}",
                "filename": "profile"}
    trainer = fit_without_validation(cfg, data, max_epochs=epochs, profiler=profiler)
    durations = trainer.profiler.recorded_durations
    waiting, epoch = sum(durations[DATA_NEXT]), sum(durations[EPOCH])
    return {"prep_seconds": round(prep, 2), "epoch_seconds": round(epoch / epochs, 2),
            "data_wait_seconds": round(waiting / epochs, 3),
            "data_wait_fraction": round(waiting / epoch, 4)}


def bbc_rows(base_rows: int | None = None) -> dict[str, list[tuple[str, str]]]:
    """BBC News as (text, label) rows per split (the first `base_rows` of each when given)."""
    _, data = ready_data(["task=text"])
    rows = {}
    for split, ds in data.splits.items():
        ds = ds.select(range(min(base_rows, len(ds)))) if base_rows else ds
        names = ds.features["label"].names
        rows[split] = [(text, names[label]) for text, label in zip(ds["text"], ds["label"], strict=True)]
    return rows


def write_replicated_csvs(out: Path, rows: dict[str, list[tuple[str, str]]], factor: int) -> dict:
    """train/validation/test CSV files in `out`, the training rows repeated `factor` times."""
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for split, split_rows in rows.items():
        copies = factor if split == "train" else 1
        with open(out / f"{split}.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            for _ in range(copies):
                writer.writerows(split_rows)
        sizes[split] = len(split_rows) * copies
    return sizes | {"train_csv_mb": round((out / "train.csv").stat().st_size / 2**20, 1)}


def text_preparation(root: str, cache_dir: str, max_length: int = 150) -> dict:
    """Seconds to read, split, tokenize and cache the text files in `root` (empty cache), then
    load them as a training run does."""
    start = time.perf_counter()
    data = TextDataModule(root=root, max_length=max_length, cache_dir=cache_dir)
    data.prepare_data()
    data.setup("fit")
    return {"prep_seconds": round(time.perf_counter() - start, 2), "train_rows": len(data.splits["train"])}
