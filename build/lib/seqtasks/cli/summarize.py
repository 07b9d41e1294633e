"""`seqtasks summarize RUN_DIR...`: a Markdown table of mean ± std over seeds; runs with held-out
speakers (data.test_speakers, e.g. leave one speaker out) get a second table, one column per
speaker with the mean and the worst."""

from seqtasks.cli.args import run_main

ARGS = {"RUN_DIR...": "run directories (e.g. runs/text/lstm/*)"}


def summarize_command(argv: list[str]) -> None:
    from seqtasks.reports import load_runs, speaker_table, summary_table

    runs = load_runs(argv)
    print(summary_table(runs))
    by_speaker = speaker_table(runs)
    if by_speaker:
        print(f"\nheld-out speakers, test/acc %:\n{by_speaker}")


def main(argv: list[str] | None = None, prog: str = "seqtasks summarize") -> None:
    run_main(summarize_command, prog, ARGS, argv)
