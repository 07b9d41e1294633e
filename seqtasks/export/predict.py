"""`predict(ckpt, inputs) -> records`: a checkpoint alone (model weights, resolved config and the
datamodule's state, e.g. the tokenizer) or an exported model (`model=model.onnx`) turns raw inputs
into predictions, batched, on the GPU when there is one; see `seqtasks.export.predictor.Predictor`,
which loads once for many calls."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from seqtasks.data.audio.segments import SegmentSettings
from seqtasks.export.predictor import Predictor
from seqtasks.export.sequence import transcribe

PREDICT_MODES = ("clip", "sequence")  # sequence: digit strings from long recordings


def predict(ckpt=None, inputs: list[str] = (), batch_size: int | None = None,
            device: str | None = None, model=None, threads: int | None = None, mode: str = "clip",
            segments: dict | None = None) -> list[dict]:
    """One record per input, e.g. {"input", "prediction", "probabilities"} for classifiers; from
    `ckpt=PATH` (torch) or `model=model.onnx` (onnxruntime), exactly one of them. `mode=sequence`
    (digits): each input is a recording of several digits -> {"input", "digits", "segments"}."""
    if mode not in PREDICT_MODES:
        raise ValueError(f"mode={mode!r} is not one of {list(PREDICT_MODES)}")
    settings = SegmentSettings.from_dict(segments)
    if (ckpt is None) == (model is None):
        raise ValueError("give exactly one of ckpt=PATH (a checkpoint) or model=PATH (an exported model)")
    if ckpt is not None:
        predictor = Predictor.from_checkpoint(ckpt, device=device, batch_size=batch_size)
    else:
        if device not in (None, "cpu", "cuda"):
            raise ValueError(f"device={device!r} is not one of ['cpu', 'cuda']")
        predictor = Predictor.from_exported(model, batch_size=batch_size, threads=threads)
    return transcribe(predictor, inputs, settings) if mode == "sequence" else predictor.predict(inputs)


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
