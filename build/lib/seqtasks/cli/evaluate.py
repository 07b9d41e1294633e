"""`seqtasks evaluate run=RUN_DIR` (or ckpt=PATH): write the evaluation report of a run, optionally
on other data: `... data.root=OTHER_FOLDER` (keys of the run's data config)."""

from seqtasks.cli.args import parse_args, run_main

ARGS = {"run": "a run directory (uses checkpoints/best.ckpt)",
        "ckpt": "a checkpoint file instead of run=",
        "data": "data.KEY=VALUE: evaluate on other data (e.g. data.root=DIR)",
        "out": "report directory (default RUN_DIR/report, or RUN_DIR/report-<data> with data.*)",
        "resamples": "bootstrap resamples for the confidence intervals (default 1000)"}


def evaluate_command(argv: list[str]) -> None:
    from seqtasks.reports import evaluate

    print(f"report: {evaluate(**parse_args(argv, ARGS))}")


def main(argv: list[str] | None = None, prog: str = "seqtasks evaluate") -> None:
    run_main(evaluate_command, prog, ARGS, argv)
