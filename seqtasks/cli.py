"""The small argument parser of the evaluate, compare and predict scripts: `key=value` words parsed
like Hydra overrides (numbers, `[a,b]` lists, `data.root=X` nesting), and one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Callable

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


def usage(script: str, allowed: dict[str, str]) -> str:
    words = (k if k.endswith("...") else f"[{k}=...]" for k in allowed)  # RUN_DIR...: positional
    return f"usage: python scripts/{script} " + " ".join(words) + "\n" + \
        "\n".join(f"  {k:<10} {text}" for k, text in allowed.items())


def run_main(main: Callable[[list[str]], object], script: str, allowed: dict[str, str]) -> None:
    """Runs `main(sys.argv[1:])`; -h prints usage; bad input exits non-zero with one line."""
    argv = sys.argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        sys.exit(usage(script, allowed))
    try:
        main(argv)
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f"error: {e}")
