"""`seqtasks data fetch NAME --to DIR [--mirror URL]`: a reference dataset (trec, sst2, etth1,
fsdd) from its public source, checked against the published results' copy and laid out under DIR
the way the configs and docs/data.md expect; `seqtasks data list` names them."""

import argparse
import sys
from pathlib import Path

from seqtasks.data.fetch import DATASETS, fetch


def main(argv: list[str] | None = None, prog: str = "seqtasks data") -> None:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    action = parser.add_subparsers(dest="action", required=True)
    action.add_parser("list", help="the datasets, their sources and licenses")
    get = action.add_parser("fetch", help="download, check and lay out one dataset")
    get.add_argument("name", choices=list(DATASETS))
    get.add_argument("--to", type=Path, required=True, help="the data root (e.g. data)")
    get.add_argument("--mirror", default=None, help="download the files from this URL folder instead")
    args = parser.parse_args(argv)
    if args.action == "list":
        for name, data in DATASETS.items():
            sources = ", ".join(data.downloads.values())
            print(f"{name:<6} -> DIR/{data.folder}  from {sources}  ({data.license})")
        return
    if args.to.exists() and not args.to.is_dir():
        parser.error(f"--to {args.to} is a file; give a folder")
    try:
        fetch(args.name, args.to, args.mirror, log=lambda m: print(m, file=sys.stderr))
    except (ValueError, FileExistsError, ConnectionError) as e:
        sys.exit(f"error: {e}")
