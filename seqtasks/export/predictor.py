"""`Predictor`: a trained model loaded once, then `predict(inputs)` as often as needed, from the
checkpoint (torch, CPU or GPU) or from an exported model (`seqtasks export`, onnxruntime). Both read
inputs with the run's own datamodule (tokenizer, features, scaling) and give the same records."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import torch
from lightning_fabric.utilities.apply_func import move_data_to_device
from pytorch_lightning.utilities.parsing import AttributeDict

from seqtasks.data.hooks import ReadsRawInputs
from seqtasks.export.graphs import spec_for_task
from seqtasks.export.onnx import EXPORT_FORMAT
from seqtasks.reports.registry import task_report_for
from seqtasks.reports.runs import datamodule_from_checkpoint, model_from_checkpoint, read_checkpoint


class ExportedTask:
    """What records are made from when no task module is loaded: the task's hyperparameters and,
    for a forecaster, its targets' scaling (as `Forecaster` holds them)."""

    def __init__(self, name: str, hparams: dict):
        self.name, self.hparams = name, AttributeDict(hparams)
        if "target_mean" in hparams:
            self.mean, self.std = torch.tensor(hparams["target_mean"]), torch.tensor(hparams["target_std"])


class Predictor:
    """`Predictor.from_checkpoint(path)` or `Predictor.from_exported(path)`, then `predict(inputs)`:
    texts (or .txt files), audio files or folders, or series files, as the model's data reads them."""

    def __init__(self, datamodule, run_batch: Callable[[tuple], torch.Tensor], task, task_name: str):
        if not isinstance(datamodule, ReadsRawInputs):
            raise ValueError(f"{type(datamodule).__name__} cannot read raw inputs (no read_inputs and "
                             "predict_loader)")
        self.datamodule, self.run_batch, self.task, self.task_name = datamodule, run_batch, task, task_name
        self.report = task_report_for(task_name)

    @classmethod
    def from_checkpoint(cls, ckpt, device: str | None = None, batch_size: int | None = None) -> Predictor:
        """The checkpoint loaded once (tensors and plain data only), on `device` (default: cuda
        when present)."""
        path = Path(ckpt)
        if not path.is_file():
            raise FileNotFoundError(f"ckpt={path} does not exist")
        state = read_checkpoint(path)
        model = model_from_checkpoint(state)
        device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        model.to(device)

        def run_batch(batch):
            with torch.no_grad():
                return move_data_to_device(model.predict_step(move_data_to_device(batch, device), 0), "cpu")

        return cls(_datamodule(state, batch_size), run_batch, model, type(model).__name__)

    @classmethod
    def from_exported(cls, path, batch_size: int | None = None, threads: int | None = None,
                      int8: bool = False) -> Predictor:
        """An exported model (`model.onnx`, `model.int8.onnx` or their folder) through onnxruntime,
        on CUDA when onnxruntime has it, else the CPU (`threads`: intra-op threads)."""
        model_file, contract = read_contract(Path(path), int8)
        session = onnx_session(model_file, threads)
        spec = spec_for_task(contract["task"])
        state = json.loads((model_file.parent / contract["data_state"]).read_text())
        ckpt_like = {"seqtasks_config": {"data": contract["data"]}}
        datamodule = _datamodule(ckpt_like, batch_size, state)

        def run_batch(batch):
            feed = {name: t.cpu().numpy() for name, t in zip(spec.inputs, spec.feed(batch), strict=True)}
            return torch.from_numpy(session.run(None, feed)[0])

        return cls(datamodule, run_batch, ExportedTask(contract["task"], contract["hyper_parameters"]),
                   contract["task"])

    def predict(self, inputs) -> list[dict]:
        """One record per input, e.g. {"input", "prediction", "probabilities"} for classifiers,
        {"input", "forecast"} for forecasters."""
        items = self.datamodule.read_inputs([inputs] if isinstance(inputs, str | Path) else list(inputs))
        if not items:
            raise ValueError("inputs: nothing to predict (empty list or empty file)")
        outputs, batches = self.outputs(items)
        return self.report.records(self.report.collect(outputs, batches, self.task), items, self.task)

    def outputs(self, items: list) -> tuple[list[torch.Tensor], list[tuple]]:
        """The model's raw outputs (probabilities, forecasts in data units, values) per batch of
        `items` (as `read_inputs` returned them), with the batches."""
        outputs, batches = [], []
        for batch in self.datamodule.predict_loader(items):
            outputs.append(self.run_batch(batch))
            batches.append(batch)
        return outputs, batches


def _datamodule(ckpt: dict, batch_size: int | None, state: dict | None = None):
    """The run's datamodule holding its state (tokenizer, labels, scaling); no data is read."""
    overrides = {"batch_size": batch_size} if batch_size else None
    datamodule = datamodule_from_checkpoint(ckpt, overrides, setup=False)
    if state is not None:
        datamodule.load_state_dict(state)
    return datamodule


def read_contract(path: Path, int8: bool = False) -> tuple[Path, dict]:
    """(the ONNX file, model.json) of an export folder or one of its model files; one line when
    the path is not an export of seqtasks."""
    if not path.exists():
        raise FileNotFoundError(f"model={path} does not exist")
    folder = path if path.is_dir() else path.parent
    contract_file = folder / "model.json"
    if not contract_file.is_file():
        raise ValueError(f"model={path}: no model.json beside it; `seqtasks export ckpt=...` writes one "
                         "with the model")
    try:
        contract = json.loads(contract_file.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{contract_file} is not valid JSON ({e.msg} at line {e.lineno})") from None
    written = contract.get("export_format", "?") if isinstance(contract, dict) else "?"
    if not isinstance(written, int) or written > EXPORT_FORMAT or "task" not in contract:
        raise ValueError(f"{contract_file} is not a model.json this seqtasks reads (export format {written}, "
                         f"this seqtasks reads up to {EXPORT_FORMAT})")
    if path.is_dir():
        role = "int8" if int8 else "onnx"
        if role not in contract["files"]:
            raise ValueError(f"model={path} holds no {role} model (export with quantize=int8)")
        path = folder / contract["files"][role]
    return path, contract


def onnx_session(path: Path, threads: int | None = None):
    """An onnxruntime session of `path`; a file that is not ONNX is one line."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = options.inter_op_num_threads = threads
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider")
                 if p in ort.get_available_providers()]
    try:
        return ort.InferenceSession(str(path), options, providers=providers)
    except Exception as e:  # onnxruntime raises its own Fail/InvalidProtobuf types
        reason = " ".join(str(e).split())[:160]
        raise ValueError(f"model={path} is not a readable ONNX model ({reason})") from None
