"""Print a Markdown table of mean ± std over seeds: `python scripts/summarize.py runs/*/*/*`."""

import sys

from seqtasks.reports import load_runs, summary_table

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python scripts/summarize.py RUN_DIR [RUN_DIR ...]")
    try:
        print(summary_table(load_runs(sys.argv[1:])))
    except FileNotFoundError as e:
        sys.exit(f"error: {e}")
