"""Checkpoints and configs as an attack surface. A checkpoint loads as tensors and plain data only
(`torch.load(weights_only=True)`). A config stored in a checkpoint or a run directory is data, never
instructions: it may hold no OmegaConf interpolation or resolver (`${...}`) anywhere, and it may
build only the project's own components, so instantiating it cannot run anyone else's code. The
config composed from the user's own command line is resolved as Hydra does (its interpolations are
the user's own)."""

from __future__ import annotations

import pickle
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytorch_lightning as pl
import torch
from hydra.utils import get_object, instantiate
from omegaconf import OmegaConf

from seqtasks.version import __version__

COMPONENT_BASES = (torch.nn.Module, pl.LightningDataModule)  # what a seqtasks `_target_` may be
CHECKPOINT_FORMAT = 1  # raised when a checkpoint's layout changes; checkpoints without one are format 0


def load_checkpoint(path: Path) -> dict:
    """The checkpoint's content, unpickled as tensors and plain data only. A file that needs any
    other object (a class, a function: arbitrary code on load) is refused, and so is one that is
    truncated or not a checkpoint at all; each in one line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL ([\w.]+)", str(e))
        if found:
            raise ValueError(f"{path} is refused: it holds more than tensors and plain data (it would "
                             f"import {found.group(1)}), and loading it could run code; seqtasks "
                             "checkpoints never do") from None
        raise _unreadable(path) from None
    except (EOFError, RuntimeError, zipfile.BadZipFile, OSError, ValueError, UnicodeDecodeError,
            IndexError, KeyError, TypeError, MemoryError):  # random bytes fail in any of these ways
        raise _unreadable(path) from None


def _unreadable(path: Path) -> ValueError:
    size = path.stat().st_size
    return ValueError(f"{path} is not a readable checkpoint ({size:,} bytes): the file is truncated, "
                      "corrupt or not a PyTorch checkpoint; use the run's checkpoints/best.ckpt or "
                      "train again")


def read_seqtasks_checkpoint(path: Path) -> dict:
    """A checkpoint written by seqtasks, loaded safely: plain data (`load_checkpoint`) whose stored
    config and hyperparameters hold no interpolation (`check_plain`) and whose config builds only
    seqtasks components (`check_targets`); another program's checkpoint, or one of a newer
    checkpoint format, is refused in one line naming the version that wrote it."""
    ckpt = load_checkpoint(path)
    if not isinstance(ckpt, dict) or "seqtasks_config" not in ckpt:
        keys = sorted(map(str, ckpt))[:5] if isinstance(ckpt, dict) else type(ckpt).__name__
        raise ValueError(f"{path} is not a seqtasks checkpoint: it has no seqtasks_config (found {keys}); "
                         "seqtasks reads the checkpoints its own training writes")
    written = ckpt.get("seqtasks_format", 0)
    if not isinstance(written, int) or isinstance(written, bool) or written > CHECKPOINT_FORMAT:
        raise ValueError(f"{path} was written by seqtasks {ckpt.get('seqtasks_version', '?')} (checkpoint "
                         f"format {written!r}); this seqtasks {__version__} reads formats up to "
                         f"{CHECKPOINT_FORMAT}: install that version or newer")
    check_plain(ckpt["seqtasks_config"], "seqtasks_config")
    check_plain(ckpt.get("hyper_parameters", {}), "hyper_parameters")
    check_stored_targets(ckpt["seqtasks_config"])
    return ckpt


def check_plain(node, path: str = "") -> None:
    """Refuses any string that OmegaConf would resolve (an interpolation or resolver call such as
    `${oc.create:...}`), anywhere in a stored config: resolving it could build and call objects
    that no `_target_` check ever saw."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            check_plain(key, f"{where} (a key)")
            check_plain(value, where)
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            check_plain(value, f"{path}[{i}]")
    elif isinstance(node, str) and "${" in node:
        raise ValueError(f"{path} is refused: a stored config is data, but {node[:60]!r} is an "
                         "interpolation that resolving would run; seqtasks never stores one")


def build_stored(node: Mapping, where: str, **kwargs):
    """Instantiates a node of a stored config after `check_plain` and `check_targets` on exactly
    that node (after any merge with overrides), as a plain dict: with no `${` left, nothing is
    resolved, and every nested `_target_` Hydra reaches is one the check saw."""
    plain = OmegaConf.to_container(node) if OmegaConf.is_config(node) else dict(node)
    check_plain(plain, where)
    check_targets(plain, where)
    return instantiate(plain, _convert_="all", **kwargs)


BUILT_SECTIONS = ("task", "encoder", "data")  # what evaluate/predict/compare build from a stored config


def check_stored_targets(config: Mapping, path: str = "seqtasks_config") -> None:
    """The allow-list of a stored config: its task, encoder and data (the only sections ever built
    from one) may name only seqtasks models and datamodules. How the run was driven (trainer,
    logger, callbacks: any class the user's own command line named) is never built from a stored
    config, so it is only held to `check_plain`. The composed config of the user's command line is
    not limited."""
    if not isinstance(config, Mapping):
        raise ValueError(f"{path} is refused: a stored config is a mapping, not {type(config).__name__}")
    for key in BUILT_SECTIONS:
        if key in config:
            check_targets(config[key], f"{path}.{key}")


def check_targets(node, path: str = "") -> None:
    """Refuses any `_target_` (at any depth, `_args_` included) that is not a seqtasks model
    (`nn.Module` class: encoders, tasks) or datamodule; never a function, so building the node
    cannot run other code (nor a seqtasks function that writes or deletes files)."""
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
    allowed = False
    if isinstance(target, str) and target.startswith("seqtasks."):
        try:  # imports seqtasks modules only; the object found must be defined in seqtasks too
            found = get_object(target)
        except (ImportError, AttributeError, ValueError):
            raise ValueError(f"{where}={target!r} does not exist") from None
        allowed = (isinstance(found, type) and issubclass(found, COMPONENT_BASES)
                   and found.__module__.split(".")[0] == "seqtasks")
    if not allowed:
        raise ValueError(f"{where}={target!r} is not allowed: a stored config builds only seqtasks models "
                         "and datamodules")
