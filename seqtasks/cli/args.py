"""The small argument parser of the evaluate, compare and predict commands: `key=value` words parsed
like Hydra overrides (numbers, `[a,b]` lists, `data.root=X` nesting), and one-line errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from hydra.errors import InstantiationException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException


def parse_args(argv: list[str], allowed: dict[str, str]) -> dict:
    """`["run=runs/x", "data.root=d"]` -> {"run": "runs/x", "data": {"root": "d"}}; `allowed` maps
    each top-level key to its help text, and anything else is refused naming the allowed keys."""
    for word in argv:
        if "=" not in word:
            raise ValueError(f"expected key=value, got '{word}'; keys: {', '.join(allowed)}")
    try:
        args = OmegaConf.to_container(OmegaConf.from_dotlist(argv), resolve=True)
    except OmegaConfBaseException as e:
        raise ValueError(f"cannot parse arguments {argv}: {str(e).splitlines()[0]}") from None
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise ValueError(f"unknown argument(s) {unknown}; keys: {', '.join(allowed)}")
    return args


def check_writable(key: str, path: Path, folder: bool = False) -> None:
    """`key=path` names a file (or with `folder`, a folder) that can be written: not the other kind,
    and the nearest folder that exists on its way is writable; checked before any work."""
    if path.is_dir() if not folder else path.is_file():
        raise ValueError(f"{key}={path} is a {'file' if folder else 'folder'}; give a "
                         f"{'folder for the run' if folder else 'file path'}")
    start = path if folder else path.parent
    existing = next((p for p in (start, *start.parents) if p.exists()), Path("."))
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise ValueError(f"{key}={path} cannot be {'made' if folder else 'written'} ({existing} is not "
                         "a writable folder)")


def usage(prog: str, allowed: dict[str, str]) -> str:
    words = (k if k.endswith("...") else f"[{k}=...]" for k in allowed)  # RUN_DIR...: positional
    return f"usage: {prog} " + " ".join(words) + "\n" + \
        "\n".join(f"  {k:<10} {text}" for k, text in allowed.items())


def run_main(main: Callable[[list[str]], object], prog: str, allowed: dict[str, str],
             argv: list[str] | None = None) -> None:
    """Runs `main(argv)` (default `sys.argv[1:]`); -h prints usage and exits 0; no arguments print
    usage and exit 2; bad input exits 1 with one line."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print(usage(prog, allowed))
        sys.exit(0)
    if not argv:
        print(usage(prog, allowed), file=sys.stderr)
        sys.exit(2)
    try:
        main(argv)
    except InstantiationException as e:  # a constructor refused a value (e.g. data.batch_size=0)
        sys.exit(f"error: {' '.join(str(e.__cause__ or e).split())}")
    except (ValueError, TypeError, FileNotFoundError) as e:
        sys.exit(f"error: {' '.join(str(e).split())}")
