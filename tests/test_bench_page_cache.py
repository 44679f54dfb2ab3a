"""The bench's update growth reads each warehouse from disk: evict_from_page_cache drops a file's
pages from the OS page cache (checked with mincore), and skips a missing file."""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
import sys
from pathlib import Path

import pytest

from orchestration.tools.benchmark.measure import evict_from_page_cache

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="posix_fadvise and mincore: Linux"
)


def _filesystem(path: Path) -> str:
    """The type of the filesystem holding path (the longest mount point above it)."""
    best, kind = "", ""
    for line in Path("/proc/mounts").read_text().splitlines():
        _, mount, fstype, *_ = line.split()
        if str(path).startswith(mount) and len(mount) > len(best):
            best, kind = mount, fstype
    return kind


def _resident_pages(path: Path) -> int:
    """How many of the file's pages are in the page cache: mincore over a private mapping of it
    (ACCESS_COPY, so that ctypes can take its address; no page is written, so each reports the
    cache's state)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte)]
    size = path.stat().st_size
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    vector = (ctypes.c_ubyte * pages)()
    with open(path, "rb") as handle:
        mapping = mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_COPY)
        try:
            first = ctypes.c_char.from_buffer(mapping)
            status = libc.mincore(ctypes.addressof(first), size, vector)
            del first  # the mapping cannot close while ctypes holds its buffer
        finally:
            mapping.close()
    if status != 0:
        raise OSError(ctypes.get_errno(), "mincore failed")
    return sum(v & 1 for v in vector)


def test_a_warehouse_file_leaves_the_page_cache(tmp_path: Path) -> None:
    if _filesystem(tmp_path) in ("tmpfs", "ramfs"):
        pytest.skip(f"{tmp_path} is in memory: its pages cannot leave the cache")
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(os.urandom(4 * 1024 * 1024))
    warehouse.read_bytes()  # in the cache now
    assert _resident_pages(warehouse) > 0
    evict_from_page_cache(warehouse, tmp_path / "warehouse.duckdb.wal")  # no WAL: skipped
    assert _resident_pages(warehouse) == 0
    assert warehouse.stat().st_size == 4 * 1024 * 1024  # the data stays on disk
