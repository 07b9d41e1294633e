"""Report of regression tasks: forecasting (error per horizon step, forecast against actual) and
the memory task (loss against a trivial baseline). Written against one interface, so the tasks plug
in by class name: `predict_step` returns predictions [B, H, C] (or [B, H] / [B]), the batch starts
with the input window [B, L, F] and ends with the target, shaped like the prediction.

Registered names: FORECASTERS and MEMORY_TASKS below; a task with another class name adds it there.
"""

from __future__ import annotations

import numpy as np
import torch

from seqtasks.reports.document import Figure, Section, Table, Text, figure_png, plt
from seqtasks.reports.registry import EvalContext, Outputs, TaskReport, register_task_report
from seqtasks.reports.sections import fmt

FORECASTERS = ("Forecaster", "SequenceForecaster")
MEMORY_TASKS = ("MemoryRegressor", "AddingProblem", "MemoryTask")
WINDOWS_SHOWN = 3


def as_steps(values: torch.Tensor | np.ndarray) -> np.ndarray:
    """[N] -> [N, 1, 1], [N, H] -> [N, H, 1], [N, H, C] unchanged."""
    array = np.asarray(values, dtype=np.float64)
    while array.ndim < 3:
        array = array[..., None]
    return array


def collect(outputs: list, batches: list) -> Outputs:
    out = {"prediction": as_steps(torch.cat(outputs).float()),  # -> (N, H, C)
           "target": as_steps(torch.cat([b[-1] for b in batches]).float())}
    history = [b[0] for b in batches]
    if all(h.ndim == 3 for h in history) and len({h.shape[1:] for h in history}) == 1:
        out["history"] = torch.cat(history).float().numpy()  # -> (N, L, F)
    return out


def metrics(out: Outputs) -> dict:
    """Mean squared and absolute error; each row's errors averaged over steps and channels first."""
    error = out["prediction"] - out["target"]
    squared, absolute = (error ** 2).mean((1, 2)), np.abs(error).mean((1, 2))  # -> (N,)
    return {"mse": lambda idx: float(squared[idx].mean()), "mae": lambda idx: float(absolute[idx].mean())}


def horizon_section(ctx: EvalContext) -> Section:
    """MSE and MAE of each step ahead, over all test windows and channels."""
    error = ctx.outputs["prediction"] - ctx.outputs["target"]  # (N, H, C)
    mse, mae = (error ** 2).mean((0, 2)), np.abs(error).mean((0, 2))  # -> (H,)
    steps = np.arange(1, len(mse) + 1)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot(steps, mse, marker="o", label="MSE")
    ax.plot(steps, mae, marker="o", label="MAE")
    ax.set_xlabel("steps ahead")
    ax.grid(alpha=0.3)
    ax.legend()
    rows = [[str(s), fmt(e2), fmt(e1)] for s, e2, e1 in zip(steps, mse, mae, strict=True)]
    return Section("Error per horizon step", [
        Figure("error_by_horizon", figure_png(fig), "test error by steps ahead"),
        Table(["steps ahead", "MSE", "MAE"], rows)],
        key="horizon", data={"mse": mse.tolist(), "mae": mae.tolist()})


def forecast_section(ctx: EvalContext) -> Section:
    """A few test windows: the input (first feature), the actual future and the forecast (channel 0)."""
    out = ctx.outputs
    n, horizon = out["target"].shape[:2]
    picks = sorted({int(p) for p in np.linspace(0, n - 1, WINDOWS_SHOWN)})
    fig, axes = plt.subplots(len(picks), 1, figsize=(9, 2.2 * len(picks)), squeeze=False)
    for ax, i in zip(axes[:, 0], picks, strict=True):
        past = out["history"][i, :, 0] if "history" in out else np.empty(0)
        future = np.arange(len(past), len(past) + horizon)
        if len(past):
            ax.plot(np.arange(len(past)), past, color="grey", label="input")
        ax.plot(future, out["target"][i, :, 0], marker=".", label="actual")
        ax.plot(future, out["prediction"][i, :, 0], marker=".", label="forecast")
        ax.set_title(f"test window {ctx.rows[i]}", fontsize=9, loc="left")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    axes[-1, 0].set_xlabel("time step")
    return Section("Forecast against actual", [Figure("forecast_vs_actual", figure_png(fig),
                                                      "forecast and actual, channel 0")])


def baseline_section(ctx: EvalContext) -> Section:
    """The model's MSE against always predicting the mean target (the trivial baseline; for the
    adding problem the expected sum), so "learned something" is a number."""
    prediction, target = ctx.outputs["prediction"], ctx.outputs["target"]
    model_mse = float(((prediction - target) ** 2).mean())
    baseline_mse = float(((target - target.mean((0,), keepdims=True)) ** 2).mean())
    ratio = model_mse / baseline_mse if baseline_mse > 0 else float("nan")
    rows = [["model", fmt(model_mse)], ["predict the mean target", fmt(baseline_mse)],
            ["model / baseline", fmt(ratio)]]
    note = Text("A ratio near 1 means the model has learned nothing beyond the mean; near 0, the task.")
    return Section("Loss against a trivial baseline", [Table(["predictor", "test MSE"], rows), note],
                   key="baseline",
                   data={"model_mse": model_mse, "baseline_mse": baseline_mse, "ratio": ratio})


def records(out: Outputs, inputs: list, model) -> list[dict]:
    return [{"input": item, "prediction": p.tolist()}
            for item, p in zip(inputs, out["prediction"], strict=True)]


FORECAST = register_task_report(*FORECASTERS)(TaskReport(
    collect=collect, metrics=metrics, sections=(horizon_section, forecast_section), records=records))
MEMORY = register_task_report(*MEMORY_TASKS)(TaskReport(
    collect=collect, metrics=metrics, sections=(baseline_section,), records=records))
