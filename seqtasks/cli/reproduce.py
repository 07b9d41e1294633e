"""`seqtasks reproduce [--only NAME,...] [--seeds 0,1] [--data-root DIR] [--runs DIR] [--out FILE]
[--selected-only] [--title TEXT]`:
runs the named experiments of docs/results.md over their seeds (finished runs of the same
overrides, threads and commit are reused, interrupted ones continued), then writes the file."""

import argparse
import shlex
import sys
from pathlib import Path

from seqtasks.results.experiments import EXPERIMENTS


def names(text: str) -> list[str]:
    chosen = [n.strip() for n in text.split(",") if n.strip()]
    known = [e.name for e in EXPERIMENTS]
    unknown = [n for n in chosen if n not in known]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown experiment(s) {unknown or [text]}; choose from: {', '.join(known)}"
        )
    return chosen


def seeds(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seeds like 0,1,2, got {text!r}") from None


def main(argv: list[str] | None = None, prog: str = "seqtasks reproduce") -> None:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    parser.add_argument("--only", type=names, default=None, help="comma-separated experiments (default: all)")
    parser.add_argument("--seeds", type=seeds, default=None, help="instead of each experiment's own seeds")
    parser.add_argument(
        "--data-root",
        type=Path,
        default=Path("data"),
        help="the reference datasets, laid out as `seqtasks data fetch` does (default: data)",
    )
    parser.add_argument("--runs", type=Path, default=Path("runs/results"), help="where the runs live")
    parser.add_argument("--out", type=Path, default=Path("docs/results.md"), help="the Markdown written")
    parser.add_argument("--write-only", action="store_true", help="train nothing; write --out from the runs")
    parser.add_argument("--selected-only", action="store_true",
                        help="--out covers the --only experiments alone (a page of its own), not all of them")
    parser.add_argument("--title", default="Results", help="the page's heading (default: Results)")
    parser.add_argument("--list", action="store_true", help="print the experiments and their commands")
    args = parser.parse_args(argv)
    from seqtasks.results import reproduce, results_markdown, select

    if args.list:
        for e in EXPERIMENTS:
            print(f"{e.name:<22} seeds {','.join(map(str, e.seeds))}: seqtasks train {' '.join(e.overrides)}")
        return
    if args.selected_only and (args.only is None or args.out == parser.get_default("out")):
        parser.error("--selected-only writes a page of the --only experiments: give --only NAME,... and an "
                     f"--out other than {parser.get_default('out')} (which holds them all)")
    if not args.out.parent.is_dir():
        parser.error(f"--out: folder {args.out.parent} does not exist")
    experiments = select(args.only)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    skipped = (
        {} if args.write_only else reproduce(experiments, args.runs, args.data_root, args.seeds, log=log)
    )
    command = "seqtasks reproduce " + shlex.join(argv if argv is not None else sys.argv[1:])
    covered = experiments if args.selected_only else list(EXPERIMENTS)
    text = results_markdown(covered, args.runs, args.data_root, command.strip(), skipped, args.title)
    args.out.write_text(text)
    log(f"wrote {args.out}")
