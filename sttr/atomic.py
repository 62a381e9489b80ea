"""One way to write a file so that readers never see half of it: data, scores, checkpoints and training logs.

``atomic_write(path)`` opens ``<name>.partial`` beside ``path`` and renames it over ``path`` when the block ends
without error (``os.replace`` is atomic on one filesystem); on an error the partial file is removed and an older
``path`` stays as it was.
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
def atomic_write(path: str | Path, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """A file object for ``path`` ("wb" or "w") that becomes ``path`` only once the block completes."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write {path}: mode must be 'wb' or 'w', got {mode!r}")
    tmp = partial_path(path)
    try:
        with open(tmp, mode, encoding=encoding) as f:
            yield f
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
