"""Gradient norm against distance: how strongly the loss still reaches an input step k steps
before a row's last step. A plain RNN's gradient fades with distance (vanishing gradients); an
LSTM's forget gate keeps it alive. Works for any task whose module holds a recurrent encoder."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from seqtasks.reports.document import Figure, Section, Table, Text, figure_png, plt
from seqtasks.reports.registry import EvalContext, recurrent_encoder

MAX_ROWS = 64


def gradient_by_distance(model: torch.nn.Module, batch) -> np.ndarray:
    """Mean L2 norm of d(loss)/d(encoder input at step t), by distance d = last valid step - t
    -> (T,), NaN where no row reaches that distance. The loss is the task's `model_step`."""
    caught = {}

    def make_leaf(module, args):
        caught["x"] = args[0].detach().requires_grad_(True)  # (B, T, F)
        caught["lengths"] = args[1]
        return (caught["x"], *args[1:])

    handle = recurrent_encoder(model).register_forward_pre_hook(make_leaf)
    try:
        model.model_step(batch).backward()
    finally:
        handle.remove()
        model.zero_grad(set_to_none=True)
    norms = caught["x"].grad.norm(dim=-1)  # -> (B, T)
    lengths = caught["lengths"].cpu()
    T = norms.shape[1]
    distance = lengths[:, None] - 1 - torch.arange(T)[None, :]  # -> (B, T), < 0 on padding
    means = np.full(T, np.nan)
    for d in range(T):
        hit = distance == d
        if hit.any():
            means[d] = float(norms[hit].mean())
    return means


def gradient_curve(ctx: EvalContext) -> np.ndarray | None:
    """gradient_by_distance over the loader's last 64 test rows (the longest when it buckets by
    length); None when the task has no encoder."""
    model = ctx.run.model
    if recurrent_encoder(model) is None or ctx.loader is None:
        return None
    return gradient_by_distance(model.cpu().eval(), ctx.batch(ctx.rows[-MAX_ROWS:]))


def gradient_section(ctx: EvalContext) -> Section | None:
    """Figure and table of the gradient norm by distance, over up to 64 test rows."""
    means = gradient_curve(ctx)
    if means is None:
        return None
    reached = np.flatnonzero(~np.isnan(means))
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.semilogy(reached, means[reached], marker="o", markersize=3)
    ax.set_xlabel("steps before the last input step")
    ax.set_ylabel("mean |d loss / d input|")
    ax.grid(alpha=0.3, which="both")
    shown = sorted({int(d) for d in np.unique(np.geomspace(1, reached.max() + 1, 8).astype(int) - 1)})
    table = Table(["steps before end", "gradient norm"], [[str(d), f"{means[d]:.3e}"] for d in shown])
    text = Text(f"Loss of {min(len(ctx.rows), MAX_ROWS)} test rows back-propagated to the encoder's "
                "inputs (eval mode, no dropout). A curve that drops by orders of magnitude means "
                "distant steps barely move the loss: vanishing gradients.")
    return Section("Gradient by distance", [text, Figure("gradient_by_distance", figure_png(fig),
                                                         "gradient norm by distance"), table],
                   key="gradient_by_distance", data={str(d): float(means[d]) for d in reached})


def compare_gradients_section(groups: list[tuple[str, list[EvalContext]]]) -> Section | None:
    """Each group's gradient-by-distance curve (mean over its runs) on one log axis: where a plain
    RNN's curve falls and an LSTM's stays, the gradient vanishes for the RNN only."""
    curves = {label: [c for c in map(gradient_curve, contexts) if c is not None]
              for label, contexts in groups}
    curves = {label: c for label, c in curves.items() if c}
    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.4))
    data = {}
    for label, runs in curves.items():
        steps = max(len(c) for c in runs)
        padded = np.stack([np.pad(c, (0, steps - len(c)), constant_values=np.nan) for c in runs])
        with warnings.catch_warnings():  # distances no run reaches stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(padded, axis=0)
        reached = np.flatnonzero(~np.isnan(mean))
        ax.semilogy(reached, mean[reached], marker="o", markersize=3, label=label)
        data[label] = {str(d): float(mean[d]) for d in reached}
    ax.set_xlabel("steps before the last input step")
    ax.set_ylabel("mean |d loss / d input|")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return Section("Gradient by distance", [
        Text("Test loss back-propagated to each encoder input step (the first 64 test rows in "
             "loader order, the longest when batches are length-bucketed; mean over each group's runs)."),
        Figure("gradient_by_distance", figure_png(fig), "gradient norm by distance, per group")],
        key="gradient_by_distance", data=data)
