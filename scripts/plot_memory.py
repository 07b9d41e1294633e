"""One figure for memory-task runs: `python scripts/plot_memory.py RUN_DIR... [--out FILE.png]`."""

import argparse
from pathlib import Path

from seqtasks.reports.memory import plot_memory_runs

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("memory_runs.png"))
    args = parser.parse_args()
    for run in args.runs:
        if not (run / "gradient_norms.csv").is_file():
            parser.error(f"{run} has no gradient_norms.csv (not a finished task=memory run)")
    print(plot_memory_runs(args.runs, args.out))
