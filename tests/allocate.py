"""A function for `isolated` to run in a child process: it imports nothing heavy, so the child's
peak memory is the allocation's."""

import numpy as np


def allocate(megabytes: int) -> dict:
    block = np.ones(megabytes * 2**20 // 8)  # touched pages count as resident
    return {"sum": float(block[:10].sum())}


def allocate_and_release(megabytes: int) -> dict:
    """Allocates, then returns the memory to the system before the function ends."""
    allocate(megabytes)
    return {}
