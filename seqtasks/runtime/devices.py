"""What the machine offers the Trainer: devices asked for must exist, and bf16 mixed precision
falls back to fp16 mixed precision on GPUs without bf16."""

from __future__ import annotations

import logging
import os

import torch

from seqtasks.values import check_positive_int

log = logging.getLogger(__name__)


def available_devices(accelerator: str) -> tuple[int, str] | None:
    """(count, what) of the devices `accelerator` runs on here; None where Lightning checks
    (mps, tpu, ...). `auto` means the GPUs when there are any, else the CPU cores."""
    if accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available()):
        return torch.cuda.device_count(), "GPU(s)"
    if accelerator in ("cpu", "auto"):
        return os.cpu_count() or 1, "CPU core(s)"
    return None


def check_devices(trainer: dict) -> None:
    """One-line ValueError when `trainer.devices` (per machine) or `trainer.num_nodes` asks for
    more than exists, or for none."""
    accelerator, devices = str(trainer.get("accelerator", "auto")), trainer.get("devices", "auto")
    nodes = trainer.get("num_nodes", 1)
    check_positive_int("trainer.num_nodes", nodes, note=" (machines)")
    found = available_devices(accelerator)
    if found is None:
        return
    count, what = found
    if count == 0:
        raise ValueError(f"trainer.accelerator={accelerator} but this machine has no GPU; "
                         "use trainer=cpu or trainer.accelerator=auto")
    if devices in ("auto", -1, "-1"):
        return
    if isinstance(devices, str) and "," in devices:  # Lightning's "0,1": GPU indices
        devices = [int(i) for i in devices.split(",") if i.strip().isdigit()] or devices
    if isinstance(devices, list | tuple):  # indices: each must exist
        wanted = len(devices) if all(isinstance(i, int) and 0 <= i < count for i in devices) else None
    elif isinstance(devices, str) and devices.strip().isdigit():
        wanted = int(devices)
    else:
        wanted = devices
    if not isinstance(wanted, int) or isinstance(wanted, bool) or not 1 <= wanted <= count:
        raise ValueError(f"trainer.devices={devices!r} but this machine has {count} {what} "
                         f"(trainer.accelerator={accelerator}); choose 1..{count}, -1 (all) or auto")


def supported_precision(precision, accelerator: str):
    """`bf16-mixed` on a GPU without native bf16 (before Ampere; torch would emulate it, slowly)
    becomes `16-mixed`; anything else stays."""
    on_gpu = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    native_bf16 = on_gpu and torch.cuda.is_bf16_supported(including_emulation=False)
    if str(precision) == "bf16-mixed" and on_gpu and not native_bf16:
        log.warning("this GPU has no bf16: training with 16-mixed precision instead of bf16-mixed")
        return "16-mixed"
    return precision
