"""The order and identity probes (sttr.evaluation.probes): the changes of the input, the per-seed tables, and the
exact order invariance of TSA once the layers before it are frame-wise."""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from sttr.checkpoint import LoadedModel
from sttr.companion import open_companion
from sttr.evaluation.probes import (
    CHANGED, MIRRORED, ORIGINAL, PERMUTED, RELATIVE_TITLE, REVERSED, TOP1, Probe, ProbeResult, block_name,
    block_sizes, chance, conclusions, mean_sd, order_blind, order_invariance, pair_seeds, paired_seeds,
    permute_joints, probe_seeds, reverse_time, run_probes, seed_values, shuffle_within_blocks, valid_lengths,
)  # fmt: skip
from sttr.models import ModelConfig, TemporalSelfAttention, build_model
from sttr.plots import plot_order_probes, plot_reversed_pairs
from sttr.skeleton import KINETICS, NTU

pytestmark = pytest.mark.usefixtures("one_thread")


def _frames(n: int = 3, t: int = 8, lengths=(8, 5, 3)) -> torch.Tensor:
    """(N, 3, T, 25, 2) whose frame f of sample i holds f + 1 (times a per-joint value) up to its length."""
    x = torch.zeros(n, 3, t, 25, 2)
    for i, length in enumerate(lengths):
        steps = torch.arange(1, length + 1, dtype=torch.float32)
        x[i, :, :length] = steps.view(1, -1, 1, 1) * torch.linspace(1, 2, 25).view(1, 1, -1, 1)
    return x


def _order(x: torch.Tensor) -> torch.Tensor:
    """(N, T) the frame number each frame holds (0 for padding)."""
    return x[:, 0, :, 0, 0]


def test_block_sizes_run_from_one_to_the_window():
    assert block_sizes(32) == [1, 2, 4, 8, 16, 32]
    assert block_sizes(24) == [1, 2, 4, 8, 16, 24]
    assert block_sizes(1) == [1]
    with pytest.raises(ValueError, match="positive window"):
        block_sizes(0)


def test_time_reversal_keeps_the_padding_at_the_end():
    x = _frames()
    assert valid_lengths(x).tolist() == [8, 5, 3]
    rev = reverse_time(x)
    assert _order(rev).tolist() == [[8, 7, 6, 5, 4, 3, 2, 1], [5, 4, 3, 2, 1, 0, 0, 0], [3, 2, 1, 0, 0, 0, 0, 0]]
    assert torch.equal(reverse_time(rev), x)
    assert torch.equal(rev[:, :, 0], x[torch.arange(3), :, valid_lengths(x) - 1])


def test_block_shuffles_move_frames_only_within_their_block():
    x = _frames()
    g = torch.Generator().manual_seed(0)
    assert torch.equal(shuffle_within_blocks(x, 1, g), x)
    for k in (2, 3, 8):
        out = _order(shuffle_within_blocks(x, k, g))
        for i, length in enumerate((8, 5, 3)):
            for start in range(0, length, k):
                block = out[i, start : min(start + k, length)].sort().values
                assert block.tolist() == list(range(start + 1, min(start + k, length) + 1))
            assert (out[i, length:] == 0).all()
    full = _order(shuffle_within_blocks(x, 8, torch.Generator().manual_seed(1)))
    assert not torch.equal(full, _order(x)) and sorted(full[0].tolist()) == list(range(1, 9))


def test_left_right_swap_comes_from_the_joint_names():
    for layout in (NTU, KINETICS):
        mirror = layout.mirror()
        joints = list(range(layout.num_joints))
        assert sorted(mirror) == joints and [mirror[m] for m in mirror] == joints  # a permutation, its own inverse
        for v, name in enumerate(layout.joint_names):
            other = layout.joint_names[mirror[v]]
            assert other == name.replace("left", "#").replace("right", "left").replace("#", "right")
    assert NTU.mirror()[4] == 8 and NTU.mirror()[0] == 0  # left shoulder <-> right shoulder; the spine stays
    x = _frames()
    swapped = permute_joints(x, NTU.mirror())
    assert torch.equal(swapped[:, :, :, 8], x[:, :, :, 4]) and torch.equal(permute_joints(swapped, NTU.mirror()), x)
    with pytest.raises(ValueError, match="permutation of 25 joints"):
        permute_joints(x, [0] * 25)


def test_tsa_alone_is_exactly_equivariant_to_frame_order():
    """A TSA block (stride 1, eval) permutes its output frames as its input's: in float64 to rounding. With the
    authors' relative positions it is not."""
    torch.manual_seed(0)
    x = torch.randn(2, 16, 12, 25, dtype=torch.float64)  # (N, C, T, V)
    perm = torch.randperm(12)
    for relative, equal in ((None, True), (12, False)):
        tsa = TemporalSelfAttention(16, 16, 4, heads=2, num_joints=25, relative_frames=relative).double().eval()
        with torch.no_grad():
            moved = tsa(x[:, :, perm])[0]
            expected = tsa(x)[0][:, :, perm]
        assert torch.allclose(moved, expected, atol=1e-12, rtol=0) == equal


def test_order_blind_t_tr_is_exactly_invariant_to_frame_order():
    """The claim "TSA is blind to frame order beyond the layers before it", made exact: with every layer before
    (and around) the attention frame-wise, reversing or shuffling the frames moves the paper's T-TR logits by
    float64 rounding only; the authors' relative positions move them by the order of the logits; the unchanged
    network (order reaches it through its temporal convolutions) moves too."""
    torch.manual_seed(1)
    x = torch.randn(3, 3, 16, 25, 2)
    for relative in (False, True):
        cfg = ModelConfig.small(
            "temporal", num_classes=6, widths=(8, 16, 16), heads=2, relative=relative, relative_frames=16
        )
        model = build_model(cfg).eval()
        table = order_invariance(model, x).set_index("probe")
        assert list(table.index) == [REVERSED, block_name(16)]
        scale = table["max abs logit"].min()
        assert scale > 0.1
        if relative:
            assert (table["max abs logit change"] > 1e-3 * scale).all()
        else:
            assert (table["max abs logit change"] < 1e-12).all()
    with torch.no_grad():
        assert (model(reverse_time(x)) - model(x)).abs().max() > 1e-3
    blind = order_blind(model)
    assert all(m.stride == (1, 1) for m in blind.modules() if isinstance(m, torch.nn.Conv2d))
    assert model.backbone[3].tcn1.stride == 2  # the original is left as it was


def _result(labels, **predictions) -> ProbeResult:
    names = ("sitting down", "standing up (from sitting position)", "clapping")
    probes = (Probe(ORIGINAL, "none"), Probe(REVERSED, "order"), Probe(block_name(1), "order", 1),
              Probe(block_name(4), "order", 4), Probe(PERMUTED, "identity"), Probe(MIRRORED, "identity"))  # fmt: skip
    preds = {p.name: np.asarray(predictions.get(p.name, predictions[ORIGINAL])) for p in probes}
    return ProbeResult(np.asarray(labels), preds, probes, names)


def test_tables_per_seed_and_reversed_pairs():
    labels = [0, 0, 1, 1, 2]
    a = _result(labels, original=[0, 0, 1, 0, 2], **{REVERSED: [1, 1, 0, 0, 2], PERMUTED: [2, 2, 2, 2, 2]})
    b = _result(labels, original=[0, 0, 1, 1, 2], **{REVERSED: [0, 0, 1, 1, 2]})
    table = a.table().set_index("probe")
    assert table.loc[ORIGINAL, TOP1] == 80.0 and table.loc[ORIGINAL, CHANGED] == 0.0
    assert table.loc[REVERSED, TOP1] == 20.0 and table.loc[REVERSED, CHANGED] == 60.0
    assert table.loc[PERMUTED, TOP1] == 20.0 and table.loc[block_name(4), "block"] == 4
    pairs = a.reversed_pairs().set_index("class")
    assert pairs.loc["sitting down", "reversed: predicted as partner (%)"] == 100.0
    assert pairs.loc["standing up (from sitting position)", "accuracy (%)"] == 50.0
    assert pairs.loc["standing up (from sitting position)", "reversed: accuracy (%)"] == 0.0
    results = {"T-TR": {1: a, 2: b}}
    probes, pair_table = probe_seeds(results), pair_seeds(results)
    assert seed_values(probes, "T-TR", TOP1, probe=REVERSED) == {1: 20.0, 2: 100.0}
    pooled = seed_values(pair_table, "T-TR", "reversed: predicted as partner (%)", **{"class": "all pairs"})
    assert pooled == {1: 100.0, 2: 0.0}
    with pytest.raises(ValueError, match="several rows per seed"):
        seed_values(probes, "T-TR", TOP1)
    summary = mean_sd(probes, ["model", "probe"], [TOP1]).set_index("probe")
    assert summary.loc[REVERSED, TOP1] == "60.0 ± 56.6"
    text = conclusions(probes, pair_table)
    assert "reversing time changes 30.0 ± 42.4% of its predictions (top-1 60.0 ± 56.6%)" in text[0]  # over seeds
    assert "predicted as the partner class 50.0 ± 70.7% of the time and as its own class 50.0 ± 70.7%" in text[1]


def test_run_probes_on_a_model_and_its_order_blind_copy():
    """Every probe runs on a dataset; blocks of one frame and every order probe of the order-blind copy change no
    prediction, while relabelling the joints does."""
    torch.manual_seed(2)
    cfg = ModelConfig.small("temporal", num_classes=3, widths=(8, 16, 16), heads=2)
    model = build_model(cfg).eval()
    x = torch.randn(10, 3, 8, 25, 2)
    dataset = [(x[i], i % 3, i) for i in range(10)]
    names = ["sitting down", "standing up (from sitting position)", "clapping"]
    results = {}
    for title, net in (("T-TR", model), ("order-blind", order_blind(model))):
        loaded = LoadedModel(net, cfg, names, "joint", 8, True, "test", "sttr")
        results[title] = run_probes(loaded, dataset, seed=0, batch_size=4).table().set_index("probe")
    plain, blind = results["T-TR"], results["order-blind"]
    assert list(plain.index) == [ORIGINAL, REVERSED, *(block_name(k) for k in (1, 2, 4, 8)), PERMUTED, MIRRORED]
    assert plain.loc[block_name(1), CHANGED] == 0.0
    assert (blind.loc[blind["family"] == "order", CHANGED] == 0.0).all()
    assert blind.loc[PERMUTED, CHANGED] > 0


def test_probe_figures_tell_models_apart():
    labels = [0, 0, 1, 1, 2]
    a = _result(labels, original=[0, 0, 1, 0, 2], **{REVERSED: [1, 1, 0, 0, 2]})
    b = _result(labels, original=[0, 0, 1, 1, 2])
    results = {"T-TR": {1: a, 2: b}, "T-TR (relative positions)": {1: b, 2: b}}
    fig = plot_order_probes(probe_seeds(results), chance=chance(results))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["chance (33.3%)", "T-TR", "T-TR (relative positions)"]
    assert "log scale" in ax.get_xlabel() and "(%)" in ax.get_ylabel()
    fig = plot_reversed_pairs(pair_seeds(results))
    assert len(fig.axes) == 2 and all("(%)" in ax.get_ylabel() for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["T-TR", "T-TR (relative positions)"]  # below the bars
    fig = plot_reversed_pairs(pair_seeds(results).query("`class` == 'all pairs'"))  # no class of a pair: said
    assert not fig.axes and "No time-reversed pair" in fig.texts[0].get_text()
    plt.close("all")


def test_paired_seeds_and_the_comparison_sentence():
    labels = [0, 0, 1, 1, 2]
    plain = {1: _result(labels, original=[0, 0, 1, 0, 2], **{REVERSED: [0, 0, 1, 1, 2]}),
             2: _result(labels, original=[0, 1, 1, 1, 2])}  # fmt: skip
    relative = {1: _result(labels, original=[0, 0, 1, 1, 2], **{REVERSED: [1, 1, 0, 0, 2]}),
                2: _result(labels, original=[0, 0, 1, 1, 2], **{REVERSED: [1, 1, 0, 0, 0]}),
                3: _result(labels, original=[0, 0, 0, 0, 0])}  # fmt: skip
    results = {"T-TR": plain, RELATIVE_TITLE: relative}
    probes, pairs = probe_seeds(results), pair_seeds(results)
    paired = paired_seeds(probes, pairs, "T-TR", RELATIVE_TITLE).set_index("seed")
    assert list(paired.index) == [1, 2]  # seed 3 has no partner
    assert paired.loc[1, "top-1 (%): difference"] == 20.0 and paired.loc[2, "top-1 (%): difference"] == 20.0
    assert paired.loc[2, "top-1 time reversed (%): T-TR"] == 80.0
    assert paired.loc[1, "reversed pairs: predicted as partner (%): difference"] == 100.0
    text = conclusions(probes, pairs, compare=("T-TR", RELATIVE_TITLE))[-1]
    assert text.startswith(f"{RELATIVE_TITLE} against T-TR, paired by seed over 2 seed(s)")
    assert "top-1 by +20.0 ± 0.0 points" in text and "predicted as partner by +87.5 ± 17.7 points" in text


def test_relative_runs_share_the_t_tr_recipe():
    """The control differs from T-TR only in its relative positions (and its name and folder)."""
    run = open_companion("mini")
    plain, relative = run.experiment("temporal", seed=2), run.relative_run(2).experiment()
    assert relative.model.relative and not plain.model.relative
    assert relative.model.relative_frames == relative.data.window == 32
    assert dataclasses.replace(relative.model, relative=False, relative_frames=300) == plain.model
    assert relative.train == plain.train and relative.data == plain.data
    assert relative.out_dir.endswith("temporal_relative/seed2")
    with pytest.raises(FileNotFoundError, match="has no T-TR with relative positions"):
        open_companion("ntu60-xsub").relative_run(1)


def test_classes_without_a_time_reversed_pair_give_empty_tables_a_figure_and_sentences():
    """Only "clapping" among the probed samples (e.g. Kinetics-400, or a rehearsal's first classes): the pair
    tables are empty with their columns, the figure says so and the conclusions skip the pairs."""
    import matplotlib.pyplot as plt

    from sttr.plots import plot_reversed_pairs

    only_clapping = _result([2, 2], original=[2, 2])
    pairs = pair_seeds({"T-TR": {1: only_clapping, 2: only_clapping}})
    assert pairs.empty and {"model", "seed", "class", "reversed: predicted as partner (%)"} <= set(pairs.columns)
    summary = mean_sd(pairs, ["model", "class"], ["accuracy (%)", "reversed: predicted as partner (%)"])
    assert summary.empty and list(summary.columns[:2]) == ["model", "class"]
    fig = plot_reversed_pairs(pairs)
    assert "No time-reversed pair" in " ".join(t.get_text() for t in fig.texts)
    plt.close(fig)
    probes = probe_seeds({"T-TR": {1: only_clapping}})
    assert len(conclusions(probes, pairs)) == 1  # the order and identity sentence, no pair sentence
