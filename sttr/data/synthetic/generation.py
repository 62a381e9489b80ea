"""Writing the synthetic mini-NTU set: which performances, their NTU names and setups, and the files."""

from __future__ import annotations

import logging
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from tqdm.auto import tqdm

from sttr.data.names import SYNTHETIC_ACTIONS, SampleName
from sttr.data.ntu import encode_skeleton
from sttr.data.registry import dataset
from sttr.data.synthetic.actions import INTERACTIONS, perform
from sttr.data.synthetic.camera import CAMERA_AZIMUTH, film

logger = logging.getLogger(__name__)

NUM_SETUPS = 17


@lru_cache(maxsize=1)
def _missing_names() -> frozenset[str]:
    """Every name on the NTU-60 and NTU-120 missing-skeleton lists: the generator never writes one."""
    return dataset("ntu60").missing_skeletons() | dataset("ntu120").missing_skeletons()


def setup_of(performer: int, replication: int, action: int) -> int:
    """Setup of a performance: 1 + (performer - 1) mod 17, moved on while a camera's name is a missing one."""
    setup = 1 + (performer - 1) % NUM_SETUPS
    missing = _missing_names()
    for _ in range(NUM_SETUPS):
        if not any(SampleName(setup, c, performer, replication, action).name in missing for c in CAMERA_AZIMUTH):
            return setup
        setup = setup % NUM_SETUPS + 1
    raise ValueError(f"no setup avoids the missing-skeleton lists for P{performer:03d}R{replication:03d}A{action:03d}")


def _ordered_keys(performers: int) -> list[tuple[int, int, int, int]]:
    """All (performer, camera, replication, action) keys in a balanced order: any prefix is balanced."""
    keys = []
    n = performers * 6
    for k in range(n):
        p, j = k % performers, k // performers
        camera, replication = 1 + (j + p) % 3, 1 + j // 3
        for action in SYNTHETIC_ACTIONS:
            keys.append((p + 1, camera, replication, action))
    return keys


def _write_group(args: tuple) -> list[Path]:
    """Perform once, film from each requested camera, write the files (a unit of work for the pool)."""
    out, seed, (p, r, a), cameras = args
    bodies = perform(seed, p, r, a)
    setup = setup_of(p, r, a)
    return [write_filmed(out / f"{SampleName(setup, c, p, r, a).name}.skeleton", bodies, seed, (p, r, a), c, setup)
            for c in cameras]


def write_filmed(path: Path, bodies, seed: int, key: tuple[int, int, int], camera: int, setup: int) -> Path:
    """Film a performance ``bodies`` (performer, replication, action = ``key``) from ``camera`` and write it as
    the NTU ``.skeleton`` file ``path``."""
    _, replication, action = key
    lines, fields, lost = film(bodies, seed, key, camera, replication, setup, action in INTERACTIONS)
    joints = np.stack(fields, axis=1)  # (T, B, 25, 12), NaN where a body is absent
    present = ~np.isnan(joints[:, :, 0, 0]) & ~lost[:, None]  # (T, B)
    ids = np.stack([body_id for body_id, _ in lines], axis=1)  # (T, B)
    info = np.stack([values for _, values in lines], axis=1)  # (T, B, 9)
    path.write_bytes(encode_skeleton(ids, info, joints, present))
    return path


def write_performances(
    write_group: Callable[[tuple], list[Any]], out: Path, seed: int, keys: Sequence[tuple[int, int, int, int]],
    workers: int, progress: bool, desc: str, unit: str,
) -> list[Any]:  # fmt: skip
    """Run ``write_group`` once per performance (performer, replication, action) of ``keys``, with its cameras:
    jobs ``(out, seed, (p, r, a), cameras)`` in order of first appearance, in a process pool when
    ``workers > 1`` (the output does not depend on it). Returns what the jobs return, concatenated in order."""
    groups: dict[tuple[int, int, int], list[int]] = {}
    for p, c, r, a in keys:
        groups.setdefault((p, r, a), []).append(c)
    jobs = [(out, seed, key, sorted(cams)) for key, cams in groups.items()]
    written: list[Any] = []
    with tqdm(total=len(keys), desc=desc, unit=unit, disable=not progress) as bar, ExitStack() as stack:
        if workers > 1:
            results = stack.enter_context(ProcessPoolExecutor(workers)).map(write_group, jobs, chunksize=8)
        else:
            results = map(write_group, jobs)
        for items in results:
            written += items
            bar.update(len(items))
    return written


def generate(
    out_dir: str | Path,
    seed: int = 0,
    max_samples: int | None = None,
    performers: int = 40,
    progress: bool = True,
    workers: int = 1,
) -> list[Path]:
    """Write the synthetic mini-NTU ``.skeleton`` files into ``out_dir``; same seed, same bytes.

    Default size: performers x 3 cameras x 2 replications x 14 classes; ``max_samples`` keeps a
    prefix of an order balanced over classes, performers and cameras; ``workers`` > 1 uses a process
    pool (the files do not depend on it). Returns the paths, sorted.
    """
    if performers < 1:
        raise ValueError(f"performers: expected >= 1, got {performers}")
    if max_samples is not None and max_samples < 1:
        raise ValueError(f"max_samples: expected >= 1 or None, got {max_samples}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    keys = _ordered_keys(performers)[: max_samples or None]
    paths = write_performances(_write_group, out, seed, keys, workers, progress, "synth", "file")
    logger.info("wrote %d synthetic .skeleton files to %s", len(paths), out)
    return sorted(paths)
