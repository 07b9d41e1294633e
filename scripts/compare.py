"""Put runs of one task side by side: `python scripts/compare.py RUN_DIR... [out=DIR]`; runs that
differ only in seed are grouped into mean ± std (e.g. the run dirs of `train.py -m encoder=rnn,lstm
seed=1,2,3`)."""

from seqtasks.cli import parse_args, run_main
from seqtasks.reports.compare import compare

ARGS = {"RUN_DIR...": "run directories of one task", "out": "report directory (default runs/compare/<time>)"}


def main(argv: list[str]) -> None:
    options = [a for a in argv if a.startswith("out=")]
    run_dirs = [a for a in argv if not a.startswith("out=")]
    print(f"report: {compare(run_dirs, **parse_args(options, {'out': ''}))}")


if __name__ == "__main__":
    run_main(main, "compare.py", ARGS)
