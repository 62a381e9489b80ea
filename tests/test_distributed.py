"""DDP helpers: torchrun's environment is read correctly and a single process needs no process group."""

from __future__ import annotations

import torch

from sttr.distributed import DistEnv, all_gather_objects, all_reduce_sum, broadcast_object, env_from_torchrun


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
