"""The `seqtasks` command: `seqtasks COMMAND ARGS...` (train, evaluate, predict, export, compare,
summarize, benchmark, recordings, data, reproduce), also `python -m seqtasks ...`. Each subcommand
is the same code as `python scripts/<name>.py`."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {"train": "train a run (Hydra overrides: task=text data=trec encoder=rnn ...)",
            "evaluate": "write the evaluation report of a run (run=RUN_DIR or ckpt=PATH)",
            "predict": "predict new inputs (ckpt=PATH or model=EXPORTED.onnx, inputs=[...])",
            "export": "export a checkpoint to ONNX, optionally int8 (ckpt=PATH [quantize=int8])",
            "compare": "put runs of one task side by side (RUN_DIR...)",
            "summarize": "mean ± std over seeds as a Markdown table (RUN_DIR...)",
            "benchmark": "the benchmark suite (--out FILE.json [--quick])",
            "recordings": "test recordings of digit strings from held-out speakers' clips (root=... out=...)",
            "data": "download and check a reference dataset (fetch trec|sst2|etth1|fsdd --to DIR)",
            "reproduce": "run the experiments of docs/results.md over seeds and write it ([--only NAME,...])"}


def usage() -> str:
    lines = [f"  {name:<10} {text}" for name, text in COMMANDS.items()]
    return "usage: seqtasks COMMAND [ARGS...]\n" + "\n".join(lines) + \
        "\n`seqtasks COMMAND --help` describes the arguments of each."


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(), file=sys.stdout if argv else sys.stderr)
        sys.exit(0 if argv else 2)
    if argv[0] in ("-V", "--version"):
        from seqtasks.version import __version__

        print(f"seqtasks {__version__}")
        return
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        sys.exit(f"error: unknown command '{name}'; choose from: {', '.join(COMMANDS)}")
    importlib.import_module(f"seqtasks.cli.{name}").main(rest, prog=f"seqtasks {name}")
