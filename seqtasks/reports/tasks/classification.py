"""Report of classification tasks (text, and spoken digits through the same SequenceClassifier):
confusion matrix, per-class precision/recall/F1, the most confident mistakes with their input, and
per-class differences between runs."""

from __future__ import annotations

import statistics

import numpy as np
import torch
from torchmetrics.functional.classification import (
    multiclass_accuracy,
    multiclass_confusion_matrix,
    multiclass_f1_score,
    multiclass_precision,
    multiclass_recall,
)

from seqtasks.data.hooks import Describes, HasSpeakers
from seqtasks.reports.document import Figure, Section, Table, Text, figure_png, plt
from seqtasks.reports.registry import EvalContext, Outputs, TaskReport, register_task_report
from seqtasks.reports.sections import fmt

MISTAKES_SHOWN = 10
SNIPPET_CHARS = 160


def collect(outputs: list, batches: list, model=None) -> Outputs:
    """predict_step gives probabilities [B, C]; the batch's last item is the class id [B]."""
    return {"probs": torch.cat(outputs).float().numpy(),  # -> (N, C)
            "target": torch.cat([b[-1] for b in batches]).numpy()}  # -> (N,)


def _tensors(out: Outputs, idx: np.ndarray):
    probs = torch.from_numpy(out["probs"][idx])
    return probs, torch.from_numpy(out["target"][idx]).long(), probs.shape[1]


def metrics(out: Outputs) -> dict:
    """Accuracy and macro-F1 exactly as training's torchmetrics compute them; loss is the mean
    negative log-likelihood of the true class (cross-entropy)."""
    def acc(idx):
        probs, target, c = _tensors(out, idx)
        return float(multiclass_accuracy(probs, target, c, average="micro", validate_args=False))

    def f1_macro(idx):
        probs, target, c = _tensors(out, idx)
        return float(multiclass_f1_score(probs, target, c, average="macro", validate_args=False))

    true_prob = out["probs"][np.arange(len(out["target"])), out["target"]]
    nll = -np.log(np.clip(true_prob.astype(np.float64), 1e-12, None))  # -> (N,)
    return {"acc": acc, "f1_macro": f1_macro, "loss": lambda idx: float(nll[idx].mean())}


def label_names(ctx: EvalContext) -> list[str]:
    return list(ctx.run.model.hparams.label_names)


def confusion_section(ctx: EvalContext) -> Section:
    """Counts and row-normalized shares (each true class sums to 100 %)."""
    names = label_names(ctx)
    probs, target, c = _tensors(ctx.outputs, np.arange(len(ctx.rows)))
    counts = multiclass_confusion_matrix(probs, target, c).numpy()  # (C, C): rows true, cols predicted
    shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    fig, axes = plt.subplots(1, 2, figsize=(4.2 * 2 + 0.4 * c / 3, 3.6 + 0.25 * c), layout="constrained")
    panels = ((axes[0], counts, "counts", "d"), (axes[1], shares, "row-normalized", ".2f"))
    for ax, matrix, title, form in panels:
        ax.imshow(matrix, cmap="Blues", vmin=0)
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, format(value, form), ha="center", va="center", fontsize=8,
                    color="white" if value > matrix.max() * 0.6 else "black")
        ax.set_xticks(range(c), names, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(c), names, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(title)
    header = ["true \\ predicted"] + names
    return Section("Confusion matrix", [
        Figure("confusion_matrix", figure_png(fig), "confusion matrix: counts and row-normalized"),
        Table(header, [[n] + [str(int(v)) for v in row] for n, row in zip(names, counts, strict=True)],
              caption="Counts (rows: true class)"),
        Table(header, [[n] + [f"{100 * v:.1f}%" for v in row] for n, row in zip(names, shares, strict=True)],
              caption="Row-normalized (each row sums to 100 %)")],
        key="confusion_matrix", data={"labels": names, "counts": counts.tolist()})


def per_class_scores(out: Outputs) -> dict[str, np.ndarray]:
    probs, target, c = _tensors(out, np.arange(len(out["target"])))
    return {"precision": multiclass_precision(probs, target, c, average=None).numpy(),
            "recall": multiclass_recall(probs, target, c, average=None).numpy(),
            "f1": multiclass_f1_score(probs, target, c, average=None).numpy(),
            "support": np.bincount(out["target"], minlength=c)}


def per_class_section(ctx: EvalContext) -> Section:
    names, scores = label_names(ctx), per_class_scores(ctx.outputs)
    rows = [[name, fmt(scores["precision"][i]), fmt(scores["recall"][i]), fmt(scores["f1"][i]),
             str(int(scores["support"][i]))] for i, name in enumerate(names)]
    data = {name: {k: float(v[i]) for k, v in scores.items()} for i, name in enumerate(names)}
    return Section("Per-class scores", [Table(["class", "precision", "recall", "F1", "support"], rows)],
                   key="per_class", data=data)


def per_speaker_section(ctx: EvalContext) -> Section | None:
    """Accuracy of each speaker in the test split (a datamodule with `speakers`, i.e. audio), so a
    test set of several held-out speakers needs no run per speaker; None with fewer than two."""
    if not isinstance(ctx.run.datamodule, HasSpeakers):
        return None
    speakers = np.array(ctx.run.datamodule.speakers(ctx.split, ctx.rows))  # -> (N,)
    names = sorted(set(speakers))
    if len(names) < 2:
        return None
    right = ctx.outputs["probs"].argmax(1) == ctx.outputs["target"]  # -> (N,)
    masks = {name: speakers == name for name in names}
    data = {name: {"acc": float(right[m].mean()), "n": int(m.sum())} for name, m in masks.items()}
    rows = [[name, fmt(d["acc"]), str(d["n"])] for name, d in data.items()]
    return Section("Accuracy per speaker", [Table(["speaker", "accuracy", "test examples"], rows)],
                   key="per_speaker", data=data)


def mistakes_section(ctx: EvalContext) -> Section:
    """The wrong predictions the model was surest of, with their input."""
    names, probs, target = label_names(ctx), ctx.outputs["probs"], ctx.outputs["target"]
    predicted = probs.argmax(1)
    wrong = np.flatnonzero(predicted != target)
    wrong = wrong[np.argsort(-probs[wrong, predicted[wrong]], kind="stable")][:MISTAKES_SHOWN]
    rows_in_split = [ctx.rows[i] for i in wrong]
    datamodule = ctx.run.datamodule
    texts = (datamodule.describe(ctx.split, rows_in_split) if isinstance(datamodule, Describes)
             else [f"{ctx.split} row {r}" for r in rows_in_split])
    rows = [[str(r), names[target[i]], names[predicted[i]], fmt(probs[i, predicted[i]]),
             text[:SNIPPET_CHARS] + ("..." if len(text) > SNIPPET_CHARS else "")]
            for i, r, text in zip(wrong, rows_in_split, texts, strict=True)]
    blocks = [Table(["test row", "true", "predicted", "confidence", "input"], rows)] if rows \
        else [Text("No mistakes on the test split.")]
    note = Text(f"{len(np.flatnonzero(predicted != target))} mistakes in {len(target)} test examples; "
                f"the {len(rows)} most confident are shown.")
    return Section("Most confident mistakes", [note] + blocks, key="mistakes",
                   data={"count": int((predicted != target).sum()), "shown_rows": rows_in_split})


def per_class_differences(groups: list[tuple[str, list[EvalContext]]]) -> Section:
    """Per-class F1 of each group (mean over its runs), and the spread between groups. Runs must
    share their classes (in the same order), or the rows would pair different classes."""
    names = label_names(groups[0][1][0])
    for _, contexts in groups:
        for c in contexts:
            if label_names(c) != names:
                raise ValueError(f"cannot compare per-class F1: {c.run.run_dir} has classes "
                                 f"{label_names(c)}, the first run {names}")
    means = {label: [statistics.fmean(per_class_scores(c.outputs)["f1"][i] for c in contexts)
                     for i in range(len(names))] for label, contexts in groups}
    rows = []
    for i, name in enumerate(names):
        values = [means[label][i] for label, _ in groups]
        rows.append([name] + [fmt(v) for v in values] + [fmt(max(values) - min(values))])
    return Section("Per-class F1 by group", [
        Table(["class"] + [label for label, _ in groups] + ["max - min"], rows,
              caption="Test F1 per class, mean over each group's runs")],
        key="per_class_f1", data={label: dict(zip(names, v, strict=True)) for label, v in means.items()})


def records(out: Outputs, inputs: list, model) -> list[dict]:
    names = list(model.hparams.label_names)
    return [{"input": item, "prediction": names[int(p.argmax())],
             "probabilities": {n: round(float(v), 6) for n, v in zip(names, p, strict=True)}}
            for item, p in zip(inputs, out["probs"], strict=True)]


CLASSIFICATION = register_task_report("SequenceClassifier")(TaskReport(
    collect=collect, metrics=metrics, sections=(confusion_section, per_class_section, per_speaker_section,
                                                  mistakes_section),
    compare_sections=(per_class_differences,), records=records))
