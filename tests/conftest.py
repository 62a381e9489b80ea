"""Shared test fixtures."""

import pytest
import torch


@pytest.fixture
def one_thread():
    """Deterministic and fast on a shared 2-core CPU (OpenMP threads spin when cores are busy)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
