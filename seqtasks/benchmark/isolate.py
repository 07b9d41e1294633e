"""Every measurement runs in a fresh process, so the peak memory it reports is its own."""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor


def _call(fn, args: tuple, kwargs: dict, env: dict[str, str]) -> tuple:
    os.environ.update(env)
    result = fn(*args, **kwargs)
    rss_mb = peak_rss_mb()
    torch = sys.modules.get("torch")  # not imported here: importing it alone takes ~0.5 GB
    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if torch and torch.cuda.is_available() else None
    return result, rss_mb, gpu_mb


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM of its own address space. (getrusage's
    ru_maxrss is not used: Linux carries it across fork and exec, so a spawned child would report
    its parent's peak when that is larger.)"""
    status = open("/proc/self/status").read()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def isolated(fn, *args, env: dict[str, str] | None = None, **kwargs) -> dict:
    """`fn(*args, **kwargs)` (a dict) run in a new spawned process with `env` added to its
    environment; the dict comes back with that process's `peak_rss_mb` (and `peak_gpu_mb`)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        result, rss_mb, gpu_mb = pool.submit(_call, fn, args, kwargs, env or {}).result()
    result = dict(result, peak_rss_mb=round(rss_mb, 1))
    if gpu_mb is not None:
        result["peak_gpu_mb"] = round(gpu_mb, 1)
    return result
