"""`export_model(ckpt, out_dir)`: a checkpoint -> `model.onnx` (dynamic batch size and sequence
length; torch's fused LSTM/GRU/RNN become ONNX's own LSTM/GRU/RNN operators, minGRU, minLSTM and
IndRNN an ONNX Loop over time steps), optionally
`model.int8.onnx` (onnxruntime dynamic quantization), and beside them what a caller in any language
needs to feed it and read it: `model.json` (inputs, output, labels, the data settings) and the
datamodule's own artifacts (tokenizer.json, labels.json, normalization.json, scaling.json).

torch.onnx's TorchScript path is used: the torch.export path (torch 2.14's default) decomposes
`aten.lstm` into a loop over time steps and fixes the sequence length at the example's."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch

from seqtasks.data.hooks import SavesArtifacts
from seqtasks.export.graphs import PredictGraph, example_inputs, graph_spec
from seqtasks.reports.runs import datamodule_from_checkpoint, model_from_checkpoint, read_checkpoint
from seqtasks.version import __version__

EXPORT_FORMAT = 1  # raised when model.json's layout changes
QUANTIZE = (None, "int8")
OPSET = 17
RECURRENT_OPS = ("LSTM", "GRU", "RNN", "Loop")  # Loop: the scripted recurrences (minGRU, minLSTM, IndRNN)
DATA_STATE_FILE = "datamodule_state.json"


def export_model(ckpt, out_dir, quantize: str | None = None, check_atol: float = 1e-4) -> dict[str, Path]:
    """Writes the exported model into `out_dir` and returns the files written by role. The export
    is checked before it is kept: onnxruntime must reproduce the checkpoint's outputs on the trace
    inputs within `check_atol`."""
    if quantize not in QUANTIZE:
        raise ValueError(f"quantize={quantize!r} is not one of {list(QUANTIZE)}")
    state = read_checkpoint(Path(ckpt))  # tensors and plain data only (seqtasks.config.safety)
    model = model_from_checkpoint(state).cpu()
    check_exportable(model)
    datamodule = datamodule_from_checkpoint(state, setup=False)
    spec = graph_spec(model)
    graph = PredictGraph(model, spec).eval()
    inputs = example_inputs(model, spec)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"onnx": out_dir / "model.onnx"}
    _trace_to_onnx(graph, inputs, spec, files["onnx"])
    _check_against_torch(files["onnx"], graph, inputs, spec, check_atol)
    if quantize == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        files["int8"] = out_dir / "model.int8.onnx"
        quantize_dynamic(files["onnx"], files["int8"], weight_type=QuantType.QInt8)  # LSTM, MatMul, Gather
    if isinstance(datamodule, SavesArtifacts):
        datamodule.save_artifacts(out_dir)  # tokenizer.json, labels.json, normalization/scaling.json
    (out_dir / DATA_STATE_FILE).write_text(json.dumps(datamodule.state_dict(), indent=1))
    files["contract"] = out_dir / "model.json"
    files["contract"].write_text(json.dumps(contract(state, model, spec, files), indent=2) + "\n")
    return files


def check_exportable(model) -> None:
    """Only encoders that say their trace keeps T free (`exports_any_length`) are exported: torch's
    fused layers become ONNX's LSTM/GRU/RNN, and minGRU, minLSTM and IndRNN run their recurrence as a
    scripted loop (ONNX Loop) under the trace. A Python loop over time (the explicit cells, or an
    encoder of your own) would be fixed at the example's length, which the round trip on the trace
    inputs cannot see."""
    from seqtasks.reports.registry import recurrent_encoder

    encoder = recurrent_encoder(model)
    if encoder is not None and not getattr(encoder, "exports_any_length", False):
        impl = getattr(encoder, "impl", None)
        name = type(encoder).__name__ + (f"(impl={impl!r})" if impl else "")
        hint = ("train it with impl=fused (the default) or load its weights into one" if impl else
                "set exports_any_length = True on it once its trace keeps T free")
        raise ValueError(f"ckpt: the encoder {name} cannot be exported to ONNX (its loop over time would be "
                         f"fixed at the trace's length); {hint}")


def _trace_to_onnx(graph: PredictGraph, inputs, spec, path: Path) -> None:
    dynamic = {name: {i: axis for i, axis in enumerate(axes) if axis in ("batch", "time")}
               for name, axes in spec.axes.items()}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export")
        # the warning is about sequence_lens inputs, which these graphs never use (padding is masked)
        warnings.filterwarnings("ignore", message=".*batch_size other than 1, with a variable length")
        torch.onnx.export(graph, inputs, str(path), input_names=list(spec.inputs), output_names=[spec.output],
                          dynamic_axes=dynamic, opset_version=OPSET, dynamo=False)


def _check_against_torch(path: Path, graph, inputs, spec, atol: float) -> None:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {name: t.numpy() for name, t in zip(spec.inputs, inputs, strict=True)})[0]
    with torch.no_grad():
        want = graph(*inputs).numpy()
    worst = float(np.abs(got - want).max())
    if not worst <= atol:
        path.unlink()
        raise ValueError(f"the exported graph differs from the checkpoint by {worst:.2e} (> {atol}) on the "
                         "trace inputs; nothing was kept")


def contract(state: dict, model, spec, files: dict[str, Path]) -> dict:
    """model.json: what the graph takes and returns and how inputs are prepared."""
    import onnx

    ops = {node.op_type for node in onnx.load(str(files["onnx"])).graph.node}
    example = example_inputs(model, spec)
    hparams = dict(state.get("hyper_parameters", {}))
    return {
        "seqtasks_version": __version__, "export_format": EXPORT_FORMAT, "task": type(model).__name__,
        "files": {role: p.name for role, p in files.items() if role != "contract"},
        "inputs": [{"name": n, "dtype": str(t.dtype).removeprefix("torch."),
                    "shape": _shape(spec.axes[n], t)} for n, t in zip(spec.inputs, example, strict=True)],
        "output": {"name": spec.output, "shape": list(spec.axes[spec.output])},
        "recurrent_ops": sorted(ops & set(RECURRENT_OPS)),
        "labels": hparams.get("label_names") or hparams.get("target_names"),
        "hyper_parameters": hparams,
        "data": state["seqtasks_config"]["data"], "data_state": DATA_STATE_FILE,
        "padding": "rows are padded at the end (ids with pad_id, frames with 0); lengths gives each "
                   "row's valid steps; padded steps never change the output",
    }


def _shape(axes: tuple[str, ...], example: torch.Tensor) -> list:
    """Named dynamic axes, then the fixed sizes of the rest: ["batch", "time", 13]."""
    return list(axes) + list(example.shape[len(axes):])
