"""`seqtasks compare RUN_DIR... [out=DIR]`: put runs of one task side by side; runs that differ only
in seed are grouped into mean ± std (e.g. the run dirs of `seqtasks train -m encoder=rnn,lstm
seed=1,2,3`)."""

from seqtasks.cli.args import parse_args, run_main

ARGS = {"RUN_DIR...": "run directories of one task", "out": "report directory (default runs/compare/<time>)"}


def compare_command(argv: list[str]) -> None:
    from seqtasks.reports.compare import compare

    options = [a for a in argv if a.startswith("out=")]
    run_dirs = [a for a in argv if not a.startswith("out=")]
    print(f"report: {compare(run_dirs, **parse_args(options, {'out': ''}))}")


def main(argv: list[str] | None = None, prog: str = "seqtasks compare") -> None:
    run_main(compare_command, prog, ARGS, argv)
