"""The Hydra config tree: where it lives, composing it from code, checking group choices early."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
GROUPS = ("task", "data", "encoder", "trainer", "logger")


def group_options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def check_choices(overrides: list[str]) -> None:
    """One-line ValueError for an unknown `task=`/`data=`/`encoder=`/`trainer=`/`logger=` choice."""
    for item in overrides:
        key, sep, value = item.lstrip("+~").partition("=")
        if sep and key in GROUPS:
            # multirun sweeps: encoder=rnn,lstm; several configs of one group: logger=[csv,mlflow]
            for choice in filter(None, value.strip("[]").split(",")):
                if choice not in group_options(key):
                    raise ValueError(f"unknown {key} '{choice}'; choose from: "
                                     f"{', '.join(group_options(key))}")


def load_config(overrides: list[str] | None = None, config_name: str = "train") -> DictConfig:
    """Composes the config as `scripts/train.py` would (for tests and notebooks)."""
    overrides = list(overrides or [])
    check_choices(overrides)
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=config_name, overrides=overrides)


def job_output_dir(cfg: DictConfig) -> str:
    """The run directory of this job. A multirun (`-m`) gives each job Hydra's own job directory
    (`hydra.sweep.dir`/`hydra.sweep.subdir`), so jobs never share one; one `output_dir` for
    several jobs is refused."""
    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return cfg.output_dir
    if any(o.split("=", 1)[0].lstrip("+~") == "output_dir" for o in HydraConfig.get().overrides.task):
        raise ValueError("output_dir names one directory but -m runs several jobs; set "
                         "hydra.sweep.dir=DIR instead (each job gets its own DIR/<job>)")
    return HydraConfig.get().runtime.output_dir
