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
    parser.add_argument("--export-runs", type=lambda t: [Path(p) for p in t.split(",") if p], default=None,
                        help="RUN_DIR,RUN_DIR: only the export section (size, latency, accuracy of torch, "
                             "onnxruntime fp32 and int8) for these trained runs")
    args = parser.parse_args(argv)
    if not args.out.parent.is_dir():
        parser.error(f"--out: folder {args.out.parent} does not exist")
    if args.export_runs is not None:
        missing = [str(r) for r in args.export_runs if not (r / "checkpoints" / "best.ckpt").is_file()]
        if missing or not args.export_runs:
            where = ", ".join(missing) or "an empty list"
            parser.error(f"--export-runs: no checkpoints/best.ckpt in {where}")
        from seqtasks.benchmark.export import export_benchmark, markdown_table

        result = export_benchmark(args.export_runs, log=lambda m: print(m, file=sys.stderr))
        args.out.write_text(json.dumps({"export": result}, indent=2) + "\n")
        print(markdown_table(result))
        return
    from seqtasks.benchmark.suite import run_suite  # heavy imports only once the arguments are good
    from seqtasks.benchmark.table import markdown

    result = run_suite(quick=args.quick, sections=args.sections, log=lambda m: print(m, file=sys.stderr))
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
