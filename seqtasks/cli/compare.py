"""`seqtasks compare RUN_DIR... [out=DIR]`: put runs of one task side by side; runs that differ only
in seed are grouped into mean ± std (e.g. the run dirs of `seqtasks train -m encoder=rnn,lstm
seed=1,2,3`)."""

from seqtasks.cli.args import parse_args, run_main

ARGS = {"RUN_DIR...": "run directories of one task", "out": "report directory (default runs/compare/<time>)",
        "resamples": "bootstrap resamples for the paired differences (default 1000)"}


def compare_command(argv: list[str]) -> None:
    from seqtasks.reports.compare import compare

    is_option = [a.split("=", 1)[0] in ARGS for a in argv]
    options = [a for a, o in zip(argv, is_option, strict=True) if o]
    run_dirs = [a for a, o in zip(argv, is_option, strict=True) if not o]
    print(f"report: {compare(run_dirs, **parse_args(options, ARGS))}")


def main(argv: list[str] | None = None, prog: str = "seqtasks compare") -> None:
    run_main(compare_command, prog, ARGS, argv)
