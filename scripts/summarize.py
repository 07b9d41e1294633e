"""Print a Markdown table of mean ± std over seeds: `python scripts/summarize.py runs/*/*/*`; runs with
held-out speakers (data.test_speakers, e.g. leave one speaker out) get a second table, one column per
speaker with the mean and the worst."""

from seqtasks.cli.summarize import main

if __name__ == "__main__":
    main(prog="python scripts/summarize.py")
