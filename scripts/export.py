"""Export a checkpoint: `python scripts/export.py ckpt=RUN/checkpoints/best.ckpt [quantize=int8]`
writes RUN/export/model.onnx with model.json, the tokenizer or scaling beside it."""

from seqtasks.cli.export import main

if __name__ == "__main__":
    main(prog="python scripts/export.py")
