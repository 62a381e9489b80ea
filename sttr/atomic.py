"""One way to write a file so that readers never see half of it: data, scores, checkpoints and training logs.

``atomic_write(path)`` opens ``<name>.partial`` beside ``path`` (``atomic_path`` gives that path, for writers
that take one) and renames it over ``path`` when the block ends without error (``os.replace`` is atomic on one
filesystem); on an error the partial file is removed and an older ``path`` stays as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

PARTIAL = ".partial"  # suffix of a file being written


def partial_path(path: str | Path) -> Path:
    """The temporary name ``path`` is written under: ``<name>.partial`` in the same folder."""
    path = Path(path)
    return path.with_name(path.name + PARTIAL)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """The temporary path to write ``path`` under (for writers that take a path); it becomes ``path`` only once
    the block completes, and is removed on an error."""
    tmp = partial_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """A file object for ``path`` ("wb" or "w") that becomes ``path`` only once the block completes."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write {path}: mode must be 'wb' or 'w', got {mode!r}")
    with atomic_path(path) as tmp, open(tmp, mode, encoding=encoding) as f:
        yield f
