"""Checks of task options that need no data, shared by the task constructors and by the config
check that runs before any data is read (`seqtasks.config.checks.check_config`)."""

from __future__ import annotations

from collections.abc import Iterable


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_choice(name: str, value, allowed: Iterable[str]) -> None:
    if value not in allowed:
        raise ValueError(f"task.{name}={value!r} is not one of {list(allowed)}")


def check_fraction(name: str, value) -> None:
    """A probability or share that must stay below 1 (dropout, warm-up)."""
    if not _is_number(value) or not 0.0 <= value < 1.0:
        raise ValueError(f"task.{name}={value!r} must be in [0, 1)")


def check_non_negative(name: str, value) -> None:
    if not _is_number(value) or value < 0:
        raise ValueError(f"task.{name}={value!r} must be a number >= 0")


def check_optimizer(options: dict) -> None:
    """task.lr > 0, task.weight_decay >= 0, task.warmup_fraction in [0, 1)."""
    if not _is_number(options["lr"]) or options["lr"] <= 0:
        raise ValueError(f"task.lr={options['lr']!r} must be a number > 0")
    check_non_negative("weight_decay", options["weight_decay"])
    check_fraction("warmup_fraction", options["warmup_fraction"])
