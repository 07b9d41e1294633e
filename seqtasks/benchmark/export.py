"""The export section: for trained runs, file size, latency of one input at batch 1 on 1 CPU thread
(p50, p95), throughput at batch 64 and test accuracy, for torch eager fp32, onnxruntime fp32 and
onnxruntime int8, all measured in one process so that they compare as ratios."""

from __future__ import annotations

import itertools
import statistics
import tempfile
import time
from pathlib import Path

import torch

from seqtasks.data.hooks import ReadsRawInputs
from seqtasks.export.onnx import export_model
from seqtasks.export.predictor import Predictor
from seqtasks.reports.runs import datamodule_from_checkpoint, read_checkpoint, run_labels

LATENCY_ROWS, WARMUP = 200, 10


def export_benchmark(run_dirs: list[Path], log=print) -> dict[str, dict]:
    """{run label: {runner: {size_bytes, p50_ms, p95_ms, rows_per_s_b64, test_acc}}}, per run; the
    label is the run's name, or a longer path where names repeat (`run_labels`)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _export_benchmark(run_dirs, log)
    finally:
        torch.set_num_threads(threads)


def _export_benchmark(run_dirs: list[Path], log) -> dict[str, dict]:
    results = {}
    for label, run_dir in zip(run_labels(run_dirs), map(Path, run_dirs), strict=True):
        ckpt = run_dir / "checkpoints" / "best.ckpt"
        with tempfile.TemporaryDirectory() as out:
            files = export_model(ckpt, out, quantize="int8")
            runners = {"torch_fp32": (Predictor.from_checkpoint(ckpt, device="cpu"), ckpt),
                       "onnxruntime_fp32": (Predictor.from_exported(files["onnx"], threads=1), files["onnx"]),
                       "onnxruntime_int8": (Predictor.from_exported(files["int8"], threads=1), files["int8"])}
            data = datamodule_from_checkpoint(read_checkpoint(ckpt))  # the run's own test split
            results[label] = {name: _measure(p, data) | {"size_bytes": path.stat().st_size}
                              for name, (p, path) in runners.items()}
            results[label]["feature_ms_per_input"] = _feature_ms(data)
        log(f"export: {label}: {results[label]}")
    return results


def _measure(predictor: Predictor, data) -> dict:
    data.batch_size = 1
    singles = list(itertools.islice(data.test_dataloader(), LATENCY_ROWS + WARMUP))
    seconds = []
    for i, batch in enumerate(singles):
        start = time.perf_counter()
        predictor.run_batch(batch)
        if i >= WARMUP:
            seconds.append(time.perf_counter() - start)
    data.batch_size = 64
    right = rows = 0
    start = time.perf_counter()
    for batch in data.test_dataloader():
        probs = predictor.run_batch(batch)
        right += int((probs.argmax(-1) == batch[-1]).sum())
        rows += len(batch[-1])
    elapsed = time.perf_counter() - start
    ms = sorted(1000 * s for s in seconds)
    return {"p50_ms": round(statistics.median(ms), 3), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 3),
            "rows_per_s_b64": round(rows / elapsed, 1), "test_acc": round(right / rows, 4), "test_rows": rows}


def _feature_ms(data) -> float | None:
    """ms per input of reading and preparing raw audio (decode, trim, MFCC, normalize), on up to
    100 test files of the run's own folder; None for other data (text is read from ids)."""
    sources, rows = getattr(data, "sources", None), getattr(data, "rows", None)
    if not isinstance(data, ReadsRawInputs) or not sources or not rows or not sources["main"][1]:
        return None
    root = Path(str(sources["main"][1]))
    paths = [str(root / n) for n in rows["test"]["name"][:100] if (root / n).is_file()]
    if not paths:
        return None
    start = time.perf_counter()
    list(data.predict_loader(paths))
    return round(1000 * (time.perf_counter() - start) / len(paths), 3)


def markdown_table(results: dict[str, dict]) -> str:
    lines = ["| run | runner | size MB | p50 ms (b=1, 1 thread) | p95 ms | rows/s (b=64) | test acc % |",
             "|---|---|---|---|---|---|---|"]
    for run, runners in results.items():
        for name, r in runners.items():
            if isinstance(r, dict):
                lines.append(f"| {run} | {name} | {r['size_bytes'] / 1e6:.2f} | {r['p50_ms']:.3f} | "
                             f"{r['p95_ms']:.3f} | {r['rows_per_s_b64']:.0f} | {100 * r['test_acc']:.2f} |")
    return "\n".join(lines)
