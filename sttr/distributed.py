"""DistributedDataParallel plumbing from ``torchrun``'s environment (RANK, WORLD_SIZE, LOCAL_RANK), nanoGPT style.

One process per device; a run without those variables is a single process and every helper is a no-op.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistEnv:
    """This process's place in the job: global rank, number of processes, rank on this node."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        """True when this process is one of a torchrun job (a process group exists, possibly of one)."""
        return self.world_size > 1 or dist.is_initialized()

    @property
    def is_main(self) -> bool:
        """Rank 0 writes checkpoints, logs and progress bars."""
        return self.rank == 0


def launched_by_torchrun() -> bool:
    """True when torchrun started this process (its RANK and WORLD_SIZE are set), whatever the number of processes."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def env_from_torchrun() -> DistEnv:
    """Read RANK / WORLD_SIZE / LOCAL_RANK as set by torchrun; defaults describe a single process."""
    if not launched_by_torchrun():
        return DistEnv()
    return DistEnv(
        rank=int(os.environ["RANK"]),
        world_size=int(os.environ["WORLD_SIZE"]),
        local_rank=int(os.environ.get("LOCAL_RANK", 0)),
    )


def setup(device: torch.device) -> DistEnv:
    """Join the process group when launched by torchrun (NCCL on CUDA, gloo on CPU); return this process's place.

    ``torchrun --nproc_per_node 1`` joins a group of one, so that it runs the same DDP code as several processes.
    """
    env = env_from_torchrun()
    if launched_by_torchrun() and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
    return env


def teardown(synchronize: bool = False) -> None:
    """Leave the process group if this process joined one; with ``synchronize`` (a run that ended normally on
    every rank) first wait until every rank is done, so that no rank tears its connections down while rank 0
    still writes checkpoints and scores. After an error no rank waits: the others may never arrive."""
    if dist.is_available() and dist.is_initialized():
        if synchronize:
            dist.barrier()
        dist.destroy_process_group()


def all_gather_objects(obj: Any, env: DistEnv) -> list[Any]:
    """Every rank's ``obj`` in rank order (a one-element list in a single process)."""
    if not env.enabled:
        return [obj]
    out: list[Any] = [None] * env.world_size
    dist.all_gather_object(out, obj)
    return out


def all_reduce_sum(t: torch.Tensor, env: DistEnv) -> torch.Tensor:
    """Sum a tensor over ranks in place (identity in a single process)."""
    if env.enabled:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def broadcast_object(obj: Any, env: DistEnv) -> Any:
    """Rank 0's ``obj`` on every rank."""
    if not env.enabled:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]
