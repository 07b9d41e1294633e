"""Report of regression tasks: forecasting (error per horizon step, forecast against actual) and
sequence regression such as the memory task (loss against a trivial baseline, gradient norms during
training). One interface: `predict_step` returns predictions [B, H, C] (or [B, H] / [B]), the
batch starts with the input window [B, L, F] and ends with the target. A forecaster that predicts
in data units and holds the standardization (`mean`, `std` of its targets, as `Forecaster` does)
is scored on the standardized scale like training (`test/mse`), and in data units (`*_original`).
"""

from __future__ import annotations

import csv

import numpy as np
import torch

from seqtasks.reports.document import Figure, Section, Table, Text, figure_png, plt
from seqtasks.reports.registry import EvalContext, Outputs, TaskReport, register_task_report
from seqtasks.reports.sections import fmt

FORECASTERS = ("Forecaster",)
SEQUENCE_REGRESSORS = ("SequenceRegressor",)
WINDOWS_SHOWN = 3


def as_steps(values: torch.Tensor | np.ndarray) -> np.ndarray:
    """[N] -> [N, 1, 1], [N, H] -> [N, H, 1], [N, H, C] unchanged."""
    array = np.asarray(values, dtype=np.float64)
    while array.ndim < 3:
        array = array[..., None]
    return array


def collect(outputs: list, batches: list, model=None) -> Outputs:
    """Predictions and targets as (N, H, C); inputs as `history` (N, L, F). With a model's
    `mean`/`std` (targets standardized in the batch, predictions in data units) both scales."""
    prediction = as_steps(torch.cat(outputs).float())  # -> (N, H, C)
    target = as_steps(torch.cat([b[-1] for b in batches]).float())
    out = {"prediction": prediction, "target": target}
    if all(b[0].ndim == 3 for b in batches) and len({b[0].shape[1] for b in batches}) == 1:  # one length
        out["history"] = torch.cat([b[0] for b in batches]).double().numpy()  # -> (N, L, F)
    if not (hasattr(model, "mean") and hasattr(model, "std")) or "history" not in out:
        return out
    mean, std = model.mean.double().cpu().numpy(), model.std.double().cpu().numpy()  # (C,)
    return {"prediction": (prediction - mean) / std, "target": target,
            "prediction_original": prediction, "target_original": target * std + mean,
            "history": out["history"][..., : len(mean)] * std + mean}  # targets: the first inputs


def _errors(prediction: np.ndarray, target: np.ndarray):
    error = prediction - target
    return (error ** 2).mean((1, 2)), np.abs(error).mean((1, 2))  # -> (N,), (N,)


def metrics(out: Outputs) -> dict:
    """Mean squared and absolute error; each row's errors averaged over steps and channels first
    (the same as over all values: every row has H x C of them). `*_original`: in data units."""
    scores = {}
    for suffix in ("", "_original"):
        if f"prediction{suffix}" in out:
            squared, absolute = _errors(out[f"prediction{suffix}"], out[f"target{suffix}"])
            scores[f"mse{suffix}"] = lambda idx, e=squared: float(e[idx].mean())
            scores[f"mae{suffix}"] = lambda idx, e=absolute: float(e[idx].mean())
    return scores


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
    """A few test windows: the input, the actual future and the forecast of the first target,
    in data units when the model gives them."""
    out = dict(ctx.outputs)
    if "prediction_original" in out:
        out["prediction"], out["target"] = out["prediction_original"], out["target_original"]
    names = getattr(getattr(ctx.run, "model", None), "hparams", {}).get("target_names") or ["channel 0"]
    n, horizon = out["target"].shape[:2]
    picks = sorted({int(p) for p in np.linspace(0, n - 1, WINDOWS_SHOWN)})
    fig, axes = plt.subplots(len(picks), 1, figsize=(9, 2.2 * len(picks)), squeeze=False,
                             layout="constrained")
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
                                                      f"forecast and actual: {names[0]}")])


def baseline_section(ctx: EvalContext) -> Section:
    """The model's MSE against always predicting the mean target (the trivial baseline; for the
    adding problem the expected sum), so "learned something" is a number."""
    prediction, target = ctx.outputs["prediction"], ctx.outputs["target"]
    model_mse = float(((prediction - target) ** 2).mean())
    baseline_mse = float(((target - target.mean((0,), keepdims=True)) ** 2).mean())
    ratio = model_mse / baseline_mse if baseline_mse > 0 else float("nan")
    rows = [["model", fmt(model_mse)], ["predict the mean test target", fmt(baseline_mse)]]
    trained = getattr(ctx.run, "metrics", {}).get("data/baseline_mse")
    if trained is not None:  # what the datamodule reported: the training mean on the test split
        rows.append(["predict the mean training target (data/baseline_mse)", fmt(trained)])
    rows.append(["model / mean test target", fmt(ratio)])
    note = Text("A ratio near 1 means the model has learned nothing beyond the mean; near 0, the task.")
    return Section("Loss against a trivial baseline", [Table(["predictor", "test MSE"], rows), note],
                   key="baseline",
                   data={"model_mse": model_mse, "baseline_mse": baseline_mse, "ratio": ratio})


def training_gradients_section(ctx: EvalContext) -> Section | None:
    """The input-gradient norms the task recorded during training (gradient_norms.csv/.png in the
    run directory), where it did."""
    run_dir = getattr(ctx.run, "run_dir", None)
    if run_dir is None or not (run_dir / "gradient_norms.csv").is_file():
        return None
    with open(run_dir / "gradient_norms.csv", newline="") as f:
        norms = {(int(r["epoch"]), int(r["distance_to_end"])): float(r["grad_norm"])
                 for r in csv.DictReader(f)}
    epochs = sorted({e for e, _ in norms})
    far = max(d for _, d in norms)
    table = [[str(e)] + [f"{norms[e, d]:.3e}" if (e, d) in norms else "-" for d in (0, far)] for e in epochs]
    blocks = [Text("Norm of dL/dx_t on a fixed probe batch, recorded by the task while it trained."),
              Table(["epoch", "at the last step", f"{far} steps before"], table)]
    if (run_dir / "gradient_norms.png").is_file():
        blocks.insert(1, Figure("training_gradient_norms", (run_dir / "gradient_norms.png").read_bytes(),
                                "input-gradient norm by distance, per epoch"))
    return Section("Gradient norms during training", blocks)


def records(out: Outputs, inputs: list, model) -> list[dict]:
    """One record per input; a forecaster's is {"input", "forecast": {target: [H values]}} in data
    units, other regressors give {"input", "prediction"}."""
    names = getattr(getattr(model, "hparams", None), "target_names", None)
    if names is None:
        return [{"input": item, "prediction": p.squeeze().tolist()}
                for item, p in zip(inputs, out["prediction"], strict=True)]
    forecasts = out.get("prediction_original", out["prediction"])  # (N, H, K)
    return [{"input": item, "forecast": {name: f[:, k].tolist() for k, name in enumerate(names)}}
            for item, f in zip(inputs, forecasts, strict=True)]


FORECAST = register_task_report(*FORECASTERS)(TaskReport(
    collect=collect, metrics=metrics, sections=(horizon_section, forecast_section), records=records,
    overlapping_rows=True))
SEQUENCE_REGRESSION = register_task_report(*SEQUENCE_REGRESSORS)(TaskReport(
    collect=collect, metrics=metrics, sections=(baseline_section, training_gradients_section),
    records=records))
