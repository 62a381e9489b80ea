"""The authors' reference tensors as the tests (and benchmarks/gpu_check.py) load them.

Each ``tests/data/**/<name>.pt`` holds a state dict in the authors' key names, an input, and what their code
computed from it: eval and train-mode logits, the loss, gradients (``manifest.json`` beside it says each file's
configuration)."""

from __future__ import annotations

import torch

from sttr.models.units import UnitAGCN


def as_made_on_cpu(model: torch.nn.Module) -> None:
    """The reference files were made by the authors' code on CPU. There their unit_agcn's fixed graph and
    every unit's PA share one storage (``PA = nn.Parameter(A)``), so all PAs are equal and A_k = PA without
    a gradient. On GPU, where their checkpoints were trained and evaluated, ``.cuda()`` separates the PAs and
    A_k stays 1e-6: what load_official builds. Here the graph is set as it was when the references were made."""
    with torch.no_grad():
        for unit in model.modules():
            if isinstance(unit, UnitAGCN):
                unit.A.copy_(unit.PA)
