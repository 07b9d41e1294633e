"""The Hydra config tree: where it lives, composing it from code, checking group choices early."""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import ConfigCompositionException, OverrideParseException
from hydra.types import RunMode
from hydra.utils import get_object
from omegaconf import DictConfig, OmegaConf, open_dict

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
GROUPS = ("task", "data", "encoder", "trainer", "logger", "callbacks")


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
    """Composes the config as `scripts/train.py` would (the Python API, tests, notebooks). The
    default output_dir (runs/<task>/<encoder>/<time>, written with Hydra's own resolvers) is
    resolved here, since no Hydra run will resolve it later."""
    overrides = list(overrides or [])
    check_choices(overrides)
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name=config_name, overrides=overrides, return_hydra_config=True)
    if not HydraConfig.initialized():  # inside a Hydra run its own config stays in place
        HydraConfig.instance().set_config(cfg)
        try:
            output_dir = str(cfg.get("output_dir")) if "output_dir" in cfg else None
        finally:
            HydraConfig.instance().cfg = None
    else:
        output_dir = str(cfg.output_dir) if "output_dir" in cfg else None
    with open_dict(cfg):
        del cfg["hydra"]
        if output_dir is not None:
            cfg.output_dir = output_dir
    return cfg


def check_overrides(overrides: list[str]) -> None:
    """One-line ValueError for what Hydra refuses in several lines: an unknown group choice, an
    override that does not parse, or a key the config does not have (`+key=value` adds one). A
    sweep (`-m`) is checked with the first value of each swept key."""
    check_choices(overrides)
    wanted = [o for o in overrides if not o.startswith("-") and not o.lstrip("+~").startswith("hydra.")]
    try:
        parsed = OverridesParser.create().parse_overrides(wanted)
    except OverrideParseException as e:
        raise ValueError(f"cannot parse the overrides: {str(e).splitlines()[0]}") from None
    first = [f"{o.get_key_element()}={next(iter(o.sweep_string_iterator()))}" if o.is_sweep_override()
             else o.input_line for o in parsed]
    try:
        load_config(first)
    except ConfigCompositionException as e:
        unknown = re.search(r"Could not override '([^']+)'", str(e))
        if not (unknown and "not in struct" in str(e.__cause__)):
            raise ValueError(" ".join(str(e).split())) from None
        key = unknown.group(1)
        parent = key.rpartition(".")[0]
        groups = load_config([o for o in first if o.split("=")[0] in GROUPS])
        node = OmegaConf.select(groups, parent) if parent else groups
        keys = [str(k) for k in node if not str(k).startswith("_")] if isinstance(node, DictConfig) else []
        hint = (f" (+{key}=VALUE adds a key the config does not list)"
                if _can_add(node, key.rpartition(".")[2]) else "")
        raise ValueError(f"unknown key {key}; {parent or 'the config'} has: {', '.join(keys) or 'no keys'}"
                         f"{hint}") from None


def _can_add(node, name: str) -> bool:
    """Whether `+key=VALUE` can help: the node is no `_target_` node, or its class takes `name`
    (an argument the config leaves out, e.g. trainer.fast_dev_run) or any keyword (**kwargs)."""
    target = node.get("_target_") if isinstance(node, DictConfig) else None
    if target is None:
        return True
    try:
        params = inspect.signature(get_object(target)).parameters
    except (ImportError, AttributeError, ValueError, TypeError):
        return True
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def started_together() -> bool:
    """Whether a launcher started this process among several (torchrun, or srun with several tasks),
    rather than Lightning, which hands its processes the run directory itself."""
    return "TORCHELASTIC_RUN_ID" in os.environ or int(os.environ.get("SLURM_NTASKS", "1")) > 1


def job_output_dir(cfg: DictConfig) -> str:
    """The run directory of this job: Hydra's run directory, which the processes Lightning starts
    for DDP inherit (so they share it, timestamp included). A multirun (`-m`) gives each job
    Hydra's own job directory (`hydra.sweep.dir`/`hydra.sweep.subdir`), so jobs never share one;
    one `output_dir` for several jobs is refused."""
    if not HydraConfig.initialized():
        return cfg.output_dir
    named = any(o.split("=", 1)[0].lstrip("+~") == "output_dir" for o in HydraConfig.get().overrides.task)
    if HydraConfig.get().mode != RunMode.MULTIRUN:
        if started_together() and not named:
            raise ValueError("processes started together (torchrun, srun) need output_dir=DIR: each "
                             "would otherwise pick its own timestamped run directory")
        return HydraConfig.get().run.dir
    if named:
        raise ValueError("output_dir names one directory but -m runs several jobs; set "
                         "hydra.sweep.dir=DIR instead (each job gets its own DIR/<job>)")
    return HydraConfig.get().runtime.output_dir


def flatten(node, prefix: str = "") -> dict:
    """{"a": {"b": 1}, "c": 2} -> {"a.b": 1, "c": 2}: config keys as dotted paths."""
    if isinstance(node, dict) and node:
        return {k: v for key, value in node.items()
                for k, v in flatten(value, f"{prefix}.{key}" if prefix else str(key)).items()}
    return {prefix: node}
