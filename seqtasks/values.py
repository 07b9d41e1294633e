"""Checks of constructor arguments, one function per kind of value and one wording for each, used
by every encoder, datamodule, task and the device check: a bad value is a one-line ValueError
naming the config key (`data.batch_size`), the value and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_positive_int(key: str, value, minimum: int = 1, note: str = "") -> None:
    """An int >= `minimum` (bools are not ints here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{key}={value!r} must be a positive int{note}")


def check_fraction(key: str, value) -> None:
    """A probability or share in [0, 1): dropout, warm-up, label smoothing."""
    if not is_number(value) or not 0.0 <= value < 1.0:
        raise ValueError(f"{key}={value!r} must be in [0, 1)")


def check_share(key: str, value, high: float = 0.5) -> None:
    """A held-out share in (0, high): validation or test fractions."""
    if not is_number(value) or not 0.0 < value < high:
        raise ValueError(f"{key}={value!r} must be in (0, {high})")


def check_non_negative(key: str, value) -> None:
    if not is_number(value) or value < 0:
        raise ValueError(f"{key}={value!r} must be a number >= 0")


def check_positive(key: str, value) -> None:
    if not is_number(value) or value <= 0:
        raise ValueError(f"{key}={value!r} must be a number > 0")


def check_choice(key: str, value, allowed: Iterable) -> None:
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"{key}={value!r} is not one of {allowed}")
