"""Checks of task options that need no data, shared by the task constructors and by the config
check that runs before any data is read (`seqtasks.config.checks.check_config`): the value checks
of `seqtasks.values` under the `task.` prefix."""

from __future__ import annotations

from collections.abc import Iterable

from seqtasks import values


def check_choice(name: str, value, allowed: Iterable[str]) -> None:
    values.check_choice(f"task.{name}", value, allowed)


def check_fraction(name: str, value) -> None:
    values.check_fraction(f"task.{name}", value)


def check_non_negative(name: str, value) -> None:
    values.check_non_negative(f"task.{name}", value)


def check_positive_int(name: str, value) -> None:
    values.check_positive_int(f"task.{name}", value)


def check_optimizer(options: dict) -> None:
    """task.lr > 0, task.weight_decay >= 0, task.warmup_fraction in [0, 1)."""
    values.check_positive("task.lr", options["lr"])
    check_non_negative("weight_decay", options["weight_decay"])
    check_fraction("warmup_fraction", options["warmup_fraction"])
