"""Print a Markdown table of mean ± std over seeds: `python scripts/summarize.py runs/*/*/*`; runs with
held-out speakers (data.test_speakers, e.g. leave one speaker out) get a second table, one column per
speaker with the mean and the worst."""

import sys

from seqtasks.reports import load_runs, speaker_table, summary_table

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python scripts/summarize.py RUN_DIR [RUN_DIR ...]")
    try:
        runs = load_runs(sys.argv[1:])
        print(summary_table(runs))
        by_speaker = speaker_table(runs)
        if by_speaker:
            print(f"\nheld-out speakers, test/acc %:\n{by_speaker}")
    except FileNotFoundError as e:
        sys.exit(f"error: {e}")
