"""Checks of a composed config before anything runs: the classes it may build (`seqtasks.config.safety`),
that every key is an argument of its class and has the right type, the ranges the constructors
check, and that the devices asked for exist. Each failure is a one-line ValueError or TypeError
naming the key and what it accepts."""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union

from hydra.errors import InstantiationException
from hydra.utils import get_object, instantiate
from omegaconf import DictConfig, OmegaConf

from seqtasks.runtime.devices import check_devices

HYDRA_KEYS = ("_target_", "_partial_", "_convert_", "_recursive_", "_args_")
TOP_LEVEL = {"data": dict, "encoder": dict, "task": dict, "trainer": dict, "logger": dict | None,
             "callbacks": dict | None,
             "seed": int, "output_dir": str, "resume": bool, "overwrite": bool,
             "ema_decay": float | None, "optimized_metric": str | None}


def _accepts(value, annotation) -> bool:
    """Whether `value` (plain config data) fits a constructor annotation; annotations naming other
    classes are not checked here (the constructor is)."""
    if annotation in (inspect.Parameter.empty, Any):
        return True
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        return any(_accepts(value, a) for a in args)
    if origin is Literal:
        return value in args
    base = origin or annotation
    if base is type(None):
        return value is None
    if base in (int, float, bool) and isinstance(value, bool):
        return base is bool
    if base is float:
        return isinstance(value, int | float)
    if base in (int, str, bool):
        return isinstance(value, base)
    if base in (list, tuple, Sequence):
        return isinstance(value, list | tuple)
    if base in (dict, Mapping):
        return isinstance(value, dict)
    return True


def _describe(annotation) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        return " or ".join(dict.fromkeys(_describe(a) for a in args))
    if origin is Literal:
        return f"one of {list(args)}"
    if annotation is type(None):
        return "null"
    return getattr(origin or annotation, "__name__", str(annotation))


def check_arguments(group: str, node: dict) -> None:
    """Every key of a `_target_` node is an argument of that class, with a value of its type."""
    try:
        target = get_object(node["_target_"])
    except (ImportError, AttributeError, ValueError, KeyError) as e:
        raise ValueError(f"{group}._target_={node.get('_target_')!r} cannot be imported "
                         f"({type(e).__name__}: {e})") from None
    params = inspect.signature(target, eval_str=True).parameters
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for key, value in node.items():
        if key in HYDRA_KEYS:
            continue
        if key not in params and not open_ended:
            raise ValueError(f"unknown key {group}.{key}; {group} ({node['_target_']}) accepts: "
                             f"{', '.join(k for k in params if k not in ('self', 'kwargs'))}")
        if key in params and not _accepts(value, params[key].annotation):
            raise TypeError(f"{group}.{key}={value!r} has the wrong type; expected "
                            f"{_describe(params[key].annotation)}")


def _with_defaults(target: str, given: dict) -> dict:
    params = inspect.signature(get_object(target)).parameters.values()
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty} | given


def check_ranges(cfg: dict) -> None:
    """Runs the constructors' own checks on what the config sets, without reading data: the
    datamodule (its constructor reads nothing), the encoder (built at the task's input size) and
    the task's `check_options`."""
    try:
        instantiate(cfg["data"], _convert_="all")
    except InstantiationException as e:  # the constructor's own one-line error
        raise e.__cause__ or e from None
    task = cfg["task"]
    try:
        instantiate(cfg["encoder"])(input_size=task.get("embedding_dim", 1))
    except ValueError as e:
        raise ValueError(f"encoder.{e}") from None
    task_class = get_object(task["_target_"])
    if hasattr(task_class, "check_options"):  # the project's tasks have it; a user's own may not
        params = inspect.signature(task_class).parameters
        from_data = {k: v for k, v in cfg["data"].items() if k in params and k not in task}  # lookback
        task_class.check_options(_with_defaults(task["_target_"], task) | from_data)


def check_optimized_metric(name: str | None) -> None:
    """A sweep's objective is a validation or cross-validation score: choosing on test is refused."""
    if name is None:
        return
    if name.startswith("test/"):
        raise ValueError(f"optimized_metric={name} would choose settings on the test split; use "
                         f"val/{name[5:]} or, with data.cv_folds, cv/{name[5:]}")
    if not name.startswith(("val/", "cv/")):
        raise ValueError(f"optimized_metric={name} must name a val/* or cv/* metric (e.g. val/acc, cv/acc)")


def check_config(cfg: DictConfig) -> None:
    """Everything that can be checked before data is read; raises one-line ValueError/TypeError."""
    plain = OmegaConf.to_container(cfg, resolve=True)
    for key, value in plain.items():
        if key not in TOP_LEVEL:
            raise ValueError(f"unknown key {key}; top-level keys: {', '.join(TOP_LEVEL)}")
        if not _accepts(value, TOP_LEVEL[key]):
            raise TypeError(f"{key}={value!r} has the wrong type; expected {_describe(TOP_LEVEL[key])}")
    if not 0 <= plain["seed"] < 2**32:
        raise ValueError(f"seed={plain['seed']} must lie in [0, 2**32)")
    if plain.get("ema_decay") is not None and not 0 < plain["ema_decay"] < 1:
        raise ValueError(f"ema_decay={plain['ema_decay']} must lie in (0, 1), or be null (no averaging)")
    check_optimized_metric(plain.get("optimized_metric"))
    for group in ("data", "encoder", "task", "trainer"):
        check_arguments(group, plain[group])
    for section in ("logger", "callbacks"):
        for name, node in (plain.get(section) or {}).items():
            check_arguments(f"{section}.{name}", node)
    check_devices(plain["trainer"])
    check_ranges(plain)
