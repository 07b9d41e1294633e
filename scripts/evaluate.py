"""Write the evaluation report of a run: `python scripts/evaluate.py run=RUN_DIR` (or ckpt=PATH),
optionally on other data: `... data.root=OTHER_FOLDER` (keys of the run's data config)."""

from seqtasks.cli import parse_args, run_main
from seqtasks.reports import evaluate

ARGS = {"run": "a run directory (uses checkpoints/best.ckpt)",
        "ckpt": "a checkpoint file instead of run=",
        "data": "data.KEY=VALUE: evaluate on other data (e.g. data.root=DIR)",
        "out": "report directory (default RUN_DIR/report, or RUN_DIR/report-<data> with data.*)",
        "resamples": "bootstrap resamples for the confidence intervals (default 1000)"}


def main(argv: list[str]) -> None:
    print(f"report: {evaluate(**parse_args(argv, ARGS))}")


if __name__ == "__main__":
    run_main(main, "evaluate.py", ARGS)
