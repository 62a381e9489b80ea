"""DDP helpers: torchrun's environment is read, a plain process needs no process group, a torchrun one joins one."""

from __future__ import annotations

import socket

import torch
import torch.distributed as dist

from sttr.distributed import (
    DistEnv,
    all_gather_objects,
    all_reduce_sum,
    broadcast_object,
    env_from_torchrun,
    setup,
    teardown,
)


def test_env_from_torchrun(monkeypatch):
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    assert env_from_torchrun() == DistEnv(0, 1, 0)
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_RANK", "1")
    env = env_from_torchrun()
    assert (env.rank, env.world_size, env.local_rank, env.is_main) == (3, 4, 1, False)


def test_single_process_helpers_are_identity():
    env = DistEnv()
    assert not env.enabled and env.is_main
    assert all_gather_objects({"a": 1}, env) == [{"a": 1}]
    t = torch.tensor([1.0, 2.0])
    assert torch.equal(all_reduce_sum(t, env), torch.tensor([1.0, 2.0]))
    assert broadcast_object("x", env) == "x"


def test_a_single_torchrun_process_joins_a_group_of_one(monkeypatch):
    """``torchrun --nproc_per_node 1`` runs the DDP code path: setup joins a process group of one (gloo on CPU)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    torchrun_env = {"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "MASTER_ADDR": "127.0.0.1"}
    for key, value in {**torchrun_env, "MASTER_PORT": str(port)}.items():
        monkeypatch.setenv(key, value)
    env = setup(torch.device("cpu"))
    try:
        assert env.enabled and dist.get_world_size() == 1
        assert all_gather_objects({"a": 1}, env) == [{"a": 1}]
    finally:
        teardown(synchronize=True)  # the barrier of a normal end, then the group is left
    assert not dist.is_initialized()
    teardown(synchronize=True)  # no group: nothing to wait for or leave
