"""The Hydra config tree: where it lives, composing it from code, checking group choices early."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
GROUPS = ("task", "data", "encoder", "trainer")


def group_options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def check_choices(overrides: list[str]) -> None:
    """One-line ValueError for an unknown `task=`/`data=`/`encoder=`/`trainer=` choice."""
    for item in overrides:
        key, sep, value = item.lstrip("+~").partition("=")
        if sep and key in GROUPS:
            for choice in value.split(","):  # multirun sweeps: encoder=rnn,lstm
                if choice not in group_options(key):
                    raise ValueError(f"unknown {key} '{choice}'; choose from: "
                                     f"{', '.join(group_options(key))}")


def load_config(overrides: list[str] | None = None, config_name: str = "train") -> DictConfig:
    """Composes the config as `scripts/train.py` would (for tests and notebooks)."""
    overrides = list(overrides or [])
    check_choices(overrides)
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=config_name, overrides=overrides)
