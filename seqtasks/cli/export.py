"""`seqtasks export ckpt=RUN/checkpoints/best.ckpt [out=DIR] [quantize=int8]`: the model as ONNX
(dynamic batch size and length) with model.json and the data's artifacts beside it; `seqtasks
predict model=DIR/model.onnx inputs=[...]` runs it through onnxruntime."""

from pathlib import Path

from seqtasks.cli.args import check_writable, parse_args, run_main

ARGS = {"ckpt": "checkpoint file (e.g. RUN_DIR/checkpoints/best.ckpt)",
        "out": "folder for the exported files (default: RUN_DIR/export, or beside the checkpoint)",
        "format": "onnx (the one format written)",
        "quantize": "int8: also model.int8.onnx (onnxruntime dynamic quantization)"}
FORMATS = ("onnx",)


def export_command(argv: list[str]) -> None:
    args = parse_args(argv, ARGS)
    if "ckpt" not in args:
        raise ValueError("give ckpt=PATH (e.g. RUN_DIR/checkpoints/best.ckpt)")
    fmt = args.get("format", "onnx")
    if fmt not in FORMATS:
        raise ValueError(f"format={fmt!r} is not one of {list(FORMATS)}")
    ckpt = Path(args["ckpt"])
    if not ckpt.is_file():
        raise FileNotFoundError(f"ckpt={ckpt} does not exist")
    default = ckpt.parent.parent / "export" if ckpt.parent.name == "checkpoints" else ckpt.parent / "export"
    out = Path(args.get("out", default))
    check_writable("out", out, folder=True)
    try:
        from seqtasks.export.onnx import export_model
    except ModuleNotFoundError as e:
        raise ValueError(f"{e}: export needs onnx and onnxruntime (pip install 'seqtasks[export]')") from None
    files = export_model(ckpt, out, quantize=args.get("quantize"))
    for role, path in files.items():
        print(f"{role}: {path} ({path.stat().st_size:,} bytes)")


def main(argv: list[str] | None = None, prog: str = "seqtasks export") -> None:
    run_main(export_command, prog, ARGS, argv)
