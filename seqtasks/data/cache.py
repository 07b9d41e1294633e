"""The processed-data caches' shared rules: where they live, how a cache key is made, and how a
cache folder is built. A key is a hash of everything that shapes the content, so a change of any
setting or source file gives a new folder and a stale cache is never read."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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


@contextmanager
def built_atomically(out: Path) -> Iterator[Path]:
    """An empty temporary folder beside `out` to build into; when the block ends without error it
    replaces `out` by a rename, so a reader never sees a half-built folder, and on an error it is
    removed."""
    tmp = out.with_name(f"{out.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
