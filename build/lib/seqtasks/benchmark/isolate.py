"""Every measurement runs in a fresh process, so the peak memory it reports is its own."""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
import threading
from concurrent.futures import ProcessPoolExecutor


def _status_mb(field: str) -> float:
    status = open("/proc/self/status").read()
    return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024


class PeakMemory:
    """This process's peak resident memory while in the `with` block: the larger of the kernel's
    high-water mark (VmHWM) and VmRSS sampled every `interval` seconds. Sampling is needed
    because memory returned with madvise (Arrow's allocator does) lowers RSS without raising
    VmHWM. (getrusage's ru_maxrss is no use here: Linux carries it across fork and exec.) RSS
    counts the pages of memory-mapped files read (Arrow data), which the kernel can drop at any
    time; `peak_anon_mb`, the peak of anonymous memory (RssAnon), leaves them out."""

    def __init__(self, interval: float = 0.02):
        self.interval, self.peak_mb, self.peak_anon_mb = interval, 0.0, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(self.interval):
            self.peak_mb = max(self.peak_mb, _status_mb("VmRSS"))
            self.peak_anon_mb = max(self.peak_anon_mb, _status_mb("RssAnon"))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, _status_mb("VmHWM"), _status_mb("VmRSS"))
        self.peak_anon_mb = max(self.peak_anon_mb, _status_mb("RssAnon"))


def _call(fn, args: tuple, kwargs: dict, env: dict[str, str]) -> tuple:
    os.environ.update(env)
    with PeakMemory() as memory:
        result = fn(*args, **kwargs)
    torch = sys.modules.get("torch")  # not imported here: importing it alone takes ~0.5 GB
    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if torch and torch.cuda.is_available() else None
    return result, (memory.peak_mb, memory.peak_anon_mb), gpu_mb


def isolated(fn, *args, env: dict[str, str] | None = None, **kwargs) -> dict:
    """`fn(*args, **kwargs)` (a dict) run in a new spawned process with `env` added to its
    environment; the dict comes back with that process's `peak_rss_mb`, `peak_anon_mb` (see
    `PeakMemory`) and, on a GPU, `peak_gpu_mb`."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        result, (rss_mb, anon_mb), gpu_mb = pool.submit(_call, fn, args, kwargs, env or {}).result()
    result = dict(result, peak_rss_mb=round(rss_mb, 1), peak_anon_mb=round(anon_mb, 1))
    if gpu_mb is not None:
        result["peak_gpu_mb"] = round(gpu_mb, 1)
    return result
