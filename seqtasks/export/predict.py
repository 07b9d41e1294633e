"""`predict(ckpt, inputs) -> records`: a checkpoint alone (model weights, resolved config and the
datamodule's state, e.g. the tokenizer) turns raw inputs into predictions, batched, on the GPU when
there is one. Reading inputs is the datamodule's (`read_inputs`, `predict_loader`: text strings or
.txt files for text; audio or CSV for other tasks); shaping records is the task report's."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from lightning_fabric.utilities.apply_func import move_data_to_device

from seqtasks.data.hooks import ReadsRawInputs
from seqtasks.reports.registry import task_report_for
from seqtasks.reports.runs import datamodule_from_checkpoint, model_from_checkpoint, read_checkpoint


def predict(ckpt, inputs: list[str], batch_size: int | None = None,
            device: str | None = None) -> list[dict]:
    """One record per input, e.g. {"input", "prediction", "probabilities"} for classifiers."""
    path = Path(ckpt)
    if not path.is_file():
        raise FileNotFoundError(f"ckpt={path} does not exist")
    state = read_checkpoint(path)
    model = model_from_checkpoint(state)
    datamodule = datamodule_from_checkpoint(state, {"batch_size": batch_size} if batch_size else None,
                                            setup=False)
    if not isinstance(datamodule, ReadsRawInputs):
        raise ValueError(f"{type(datamodule).__name__} cannot read raw inputs (no read_inputs and "
                         "predict_loader)")
    items = datamodule.read_inputs([inputs] if isinstance(inputs, str | Path) else list(inputs))
    if not items:
        raise ValueError("inputs: nothing to predict (empty list or empty file)")
    report = task_report_for(type(model))
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    model.to(device)
    outputs, batches = [], []
    with torch.no_grad():
        for i, batch in enumerate(datamodule.predict_loader(items)):
            output = model.predict_step(move_data_to_device(batch, device), i)
            outputs.append(move_data_to_device(output, "cpu"))
            batches.append(batch)
    return report.records(report.collect(outputs, batches, model), items, model)


def write_records(records: list[dict], out=None) -> None:
    """JSON lines to `out` (a file path) or to stdout; strict JSON: a prediction that is not finite
    (a model that diverged) is refused naming its input, never printed as NaN."""
    lines = []
    for record in records:
        try:
            lines.append(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        except ValueError:
            raise ValueError(f"the prediction for {record.get('input')!r} is not finite (NaN or inf): "
                             "the model's output is unusable; nothing was written") from None
    lines = "".join(lines)
    if out is None:
        sys.stdout.write(lines)
    else:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(lines)
