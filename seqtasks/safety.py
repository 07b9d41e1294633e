"""Checkpoints and configs as an attack surface. A checkpoint loads as tensors and plain data only
(`torch.load(weights_only=True)`), and a config, or the config a checkpoint stores, may build only
the project's own components: instantiating it cannot run anyone else's code."""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pytorch_lightning as pl
import torch
from hydra.utils import get_object
from omegaconf import OmegaConf

from seqtasks.config import CONFIG_DIR

TRAINER_TARGET = "pytorch_lightning.Trainer"
COMPONENT_BASES = (torch.nn.Module, pl.LightningDataModule)  # what a seqtasks `_target_` may be


def load_checkpoint(path: Path) -> dict:
    """The checkpoint's content, unpickled as tensors and plain data only; a file that needs any
    other object (a class, a function: arbitrary code on load) is refused in one line."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL ([\w.]+)", str(e))
        what = f"it would import {found.group(1)}" if found else str(e).splitlines()[0]
        raise ValueError(f"{path} is refused: it holds more than tensors and plain data ({what}), and "
                         "loading it could run code; seqtasks checkpoints never do") from None


@cache
def logger_targets() -> frozenset[str]:
    """The Lightning loggers the `logger` config group builds."""
    return frozenset(OmegaConf.load(p)["_target_"] for p in (CONFIG_DIR / "logger").glob("*.yaml"))


def check_targets(node, path: str = "") -> None:
    """Refuses any `_target_` (at any depth) outside the project's own components: a config, or a
    checkpoint's stored config, may build only seqtasks models (`nn.Module` classes: encoders,
    tasks) and datamodules, the Lightning Trainer and the loggers of the `logger` group, so
    instantiating it cannot run other code (nor a seqtasks function that writes or deletes files)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "_target_":
                _check_target(value, where)
            else:
                check_targets(value, where)
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            check_targets(value, f"{path}[{i}]")


def _check_target(target, where: str) -> None:
    allowed = isinstance(target, str) and (target == TRAINER_TARGET or target in logger_targets())
    if not allowed and isinstance(target, str) and target.startswith("seqtasks."):
        try:  # imports seqtasks modules only; the object found must be defined in seqtasks too
            found = get_object(target)
        except (ImportError, AttributeError, ValueError):
            raise ValueError(f"{where}={target!r} does not exist") from None
        allowed = (isinstance(found, type) and issubclass(found, COMPONENT_BASES)
                   and found.__module__.split(".")[0] == "seqtasks")
    if not allowed:
        raise ValueError(f"{where}={target!r} is not allowed: a config builds only seqtasks models "
                         f"and datamodules, {TRAINER_TARGET} and the loggers "
                         f"{', '.join(sorted(logger_targets()))}")


