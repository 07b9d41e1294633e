"""One figure for memory-task runs side by side: validation MSE per epoch against the trivial
baseline, and ||dL/dx_t|| against the distance to the end (at initialization and after training)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

from seqtasks.reports.runs import read_epoch_metrics


def _run_label(run_dir: Path) -> str:
    cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    name = cfg["encoder"]["_target_"].rsplit(".", 1)[-1].replace("Encoder", "")
    return f"{name} T={cfg['data']['seq_len']}"


def _val_curve(run_dir: Path) -> list[tuple[int, float]]:
    """(epoch, val/mse) of the trained epochs (not the best checkpoint's re-validation after fit)."""
    epochs = read_epoch_metrics(run_dir / "metrics.csv")
    return [(epoch, values["val/mse"]) for epoch, values in epochs.items() if "val/mse" in values]


def _grad_norms(run_dir: Path) -> dict[int, list[tuple[int, float]]]:
    by_epoch: dict[int, list[tuple[int, float]]] = {}
    with open(run_dir / "gradient_norms.csv", newline="") as f:
        for r in csv.DictReader(f):
            point = (int(r["distance_to_end"]), float(r["grad_norm"]))
            by_epoch.setdefault(int(r["epoch"]), []).append(point)
    return by_epoch


def plot_memory_runs(run_dirs: list[Path], out: Path) -> Path:
    """Writes `out` (PNG) comparing the runs; each run dir needs metrics.csv, metrics.json,
    config.yaml and gradient_norms.csv (what `task=memory` writes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(11, 4))
    baseline = None
    for run_dir in map(Path, run_dirs):
        label = _run_label(run_dir)
        baseline = json.loads((run_dir / "metrics.json").read_text())["data/baseline_mse"]
        epochs, mse = zip(*_val_curve(run_dir), strict=True)
        (line,) = ax_loss.plot(epochs, mse, marker="o", label=label)
        norms = _grad_norms(run_dir)
        for epoch, style in ((min(norms), ":"), (max(norms), "-")):
            pts = sorted(norms[epoch])
            when = "at init" if epoch == 0 else f"after {epoch} epochs"
            ax_grad.plot([d for d, _ in pts], [max(g, 1e-30) for _, g in pts], style, color=line.get_color(),
                         label=f"{label}, {when}")
    if baseline is not None:
        ax_loss.axhline(baseline, color="gray", ls="--", label=f"predict the mean ({baseline:.3f})")
    ax_loss.set(yscale="log", xlabel="epoch", ylabel="validation MSE", title="adding problem")
    ax_grad.set(yscale="log", xlabel="distance to the end (steps)", ylabel="||dL/dx_t||",
                title="input-gradient norm")
    ax_loss.legend(fontsize=8)
    ax_grad.legend(fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
