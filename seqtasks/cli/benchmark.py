"""`seqtasks benchmark --out bench.json [--quick] [--sections a,b]`: writes the JSON result and
prints Markdown tables (framework overhead, encoders, padding, data waiting, growth, time to
target), each section measured in fresh processes on this machine."""

import argparse
import json
import sys
from pathlib import Path

from seqtasks.benchmark import SECTIONS


def sections(text: str) -> list[str]:
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown section(s) {unknown}; choose from: {', '.join(SECTIONS)}")
    return chosen


def main(argv: list[str] | None = None, prog: str = "seqtasks benchmark") -> None:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="the JSON result file")
    parser.add_argument("--quick", action="store_true", help="few steps and small data (minutes)")
    parser.add_argument("--sections", type=sections, default=list(SECTIONS),
                        help=f"comma-separated subset of: {', '.join(SECTIONS)}")
    run_list = lambda t: [Path(p) for p in t.split(",") if p]  # noqa: E731
    parser.add_argument("--export-runs", type=run_list, default=None,
                        help="RUN_DIR,RUN_DIR: only the export section (size, latency, accuracy of torch, "
                             "onnxruntime fp32 and int8) for these trained runs")
    parser.add_argument("--digit-string-runs", type=run_list, default=None,
                        help="RUN_DIR,RUN_DIR: only the digit-string section (speaker-independent digits "
                             "runs: digit error rate on recordings of their held-out speakers)")
    parser.add_argument("--recordings", type=int, default=100, help="recordings per cell (digit strings)")
    args = parser.parse_args(argv)
    if not args.out.parent.is_dir():
        parser.error(f"--out: folder {args.out.parent} does not exist")
    for option, runs in (("--export-runs", args.export_runs),
                         ("--digit-string-runs", args.digit_string_runs)):
        missing = [str(r) for r in runs or () if not (r / "checkpoints" / "best.ckpt").is_file()]
        if runs is not None and (missing or not runs):
            parser.error(f"{option}: no checkpoints/best.ckpt in {', '.join(missing) or 'an empty list'}")
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    if args.export_runs is not None:
        from seqtasks.benchmark.export import export_benchmark, markdown_table

        result = export_benchmark(args.export_runs, log=log)
        args.out.write_text(json.dumps({"export": result}, indent=2) + "\n")
        print(markdown_table(result))
        return
    if args.digit_string_runs is not None:
        from seqtasks.benchmark.digit_strings import digit_string_benchmark, markdown_table

        result = digit_string_benchmark(args.digit_string_runs, args.recordings, log=log)
        args.out.write_text(json.dumps({"digit_strings": result}, indent=2) + "\n")
        print(markdown_table(result))
        return
    from seqtasks.benchmark.suite import run_suite  # heavy imports only once the arguments are good
    from seqtasks.benchmark.table import markdown

    result = run_suite(quick=args.quick, sections=args.sections, log=log)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
