"""The processed-data caches' shared rules: where they live and how a cache key is made. A key is a
hash of everything that shapes the content, so a change of any setting or source file gives a new
folder and a stale cache is never read."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path


def default_cache_dir() -> Path:
    """`$SEQTASKS_CACHE`, else ~/.cache/seqtasks."""
    return Path(os.environ.get("SEQTASKS_CACHE", Path.home() / ".cache" / "seqtasks"))


def content_key(settings) -> str:
    """16 hex digits of the SHA-256 of `settings` (JSON data), independent of dict order."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def stat_fingerprint(paths: Iterable[Path]) -> str:
    """Hash of path, size and modification time: cheap, and changes when a file does."""
    h = hashlib.sha256()
    for p in sorted(paths):
        st = p.stat()
        h.update(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]
