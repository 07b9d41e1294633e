"""`seqtasks predict ckpt=PATH inputs=["a text","another"]` (or `model=RUN/export/model.onnx` for
an exported model), or `inputs=texts.txt` (one text per
line), or audio files for task=digits, CSV files for task=forecast; JSON lines (input, prediction,
probabilities) go to stdout, or to `out=FILE`."""

from pathlib import Path

from seqtasks.cli.args import check_writable, parse_args, run_main

ARGS = {"ckpt": "checkpoint file (e.g. RUN_DIR/checkpoints/best.ckpt)",
        "model": "an exported model instead (RUN_DIR/export/model.onnx, model.int8.onnx or its folder)",
        "inputs": "[text, ...] or a .txt file with one input per line; audio files or folders (digits)",
        "out": "JSON-lines file (default: stdout)", "batch_size": "inputs per batch (default: the run's)",
        "device": "cpu or cuda (default: cuda when present)",
        "threads": "onnxruntime threads (model=... only; default: all cores)",
        "mode": "clip (one prediction per input) or sequence (digits: a digit string per recording)",
        "segments": "mode=sequence: segmenter settings, e.g. segments.start_db=12 (docs/runs.md)"}


def predict_command(argv: list[str]) -> None:
    from seqtasks.export.predict import predict, write_records

    args = parse_args(argv, ARGS)
    if ("ckpt" not in args and "model" not in args) or "inputs" not in args:
        raise ValueError("give ckpt=PATH (or model=EXPORTED.onnx) and inputs=[...] (or inputs=FILE.txt)")
    out = args.pop("out", None)
    if out is not None:
        check_writable("out", Path(out))  # before any prediction is computed
    write_records(predict(**args), out)
    if out:
        print(f"predictions: {out}")


def main(argv: list[str] | None = None, prog: str = "seqtasks predict") -> None:
    run_main(predict_command, prog, ARGS, argv)
