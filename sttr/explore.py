"""An attention explorer for JupyterLab: browse what the SSA and TSA layers of a trained S-TR / T-TR look at.

A ``View`` (sample, stream, unit, head, frame, joint) is turned into a ``Scene``, the arrays and captions one
figure draws (``sttr.plots.plot_explorer``): the skeleton at the frame with its strongest SSA links, the SSA
joint-by-joint map at that frame, the TSA frame-by-frame map of the joint, and the stream's top-5 beside the
true label. Attention is computed once per sample and stream and cached, so moving a control only redraws.
``Explorer.widget`` wires ipywidgets controls to it; ``Explorer.figure`` draws a view as an ordinary figure
(what a notebook shows without a live kernel).

Samples come from the validation split (by class, by correct or wrong, or by index) or from one's own file,
read and fitted to each checkpoint exactly as ``sttr predict`` does (``sttr.predict.inputs`` and ``fit``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from sttr.checkpoint import LoadedModel, load_checkpoint
from sttr.data.dataset import SkeletonDataset
from sttr.evaluation.scores import Scores, softmax
from sttr.models.attention import SpatialSelfAttention, TemporalSelfAttention
from sttr.predict.fit import fit_stream
from sttr.predict.inputs import InputError, load_input
from sttr.skeleton import NTU
from sttr.streams import TITLES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sttr.companion import Companion

STREAM_TITLES = {s: TITLES[s] for s in ("spatial", "temporal")}  # the streams with attention
OUTCOMES = ("all", "correct", "wrong")
TOP_K = 5
_UNIT = re.compile(r"backbone\.(\d+)\.")


class ExploreError(ValueError):
    """A view or a source the explorer cannot show; the message says what was expected."""


@dataclass(frozen=True)
class View:
    """What the reader picked: a validation index or a file, the stream whose prediction is listed, a unit
    (its SSA layer in S-TR, its TSA layer in T-TR), a head (None: the mean over heads), an input frame (SSA)
    and a query joint (TSA)."""

    sample: int | str = 0
    stream: str = "spatial"
    unit: int = 3
    head: int | None = None
    frame: int = 0
    joint: int = 0
    links: int = 10  # strongest SSA links drawn on the skeleton


@dataclass(frozen=True)
class Attention:
    """One sample run through one stream: its input as fitted, class probabilities and person 0's attention."""

    name: str
    label: int | None  # true label; None for one's own file
    x: np.ndarray  # (C, T, V, M) as the stream saw it
    probabilities: np.ndarray  # (K,) softmax
    maps: dict[str, np.ndarray]  # layer -> SSA (T', N_h, V, V) or TSA (V, N_h, T', T'), person 0
    tops: dict[str, float]  # layer -> largest weight over its frames (joints) and heads: the top of its scale
    note: str | None = None  # how a file was fitted to the checkpoint, when it was


@dataclass(frozen=True)
class Scene:
    """The arrays and captions of one view's figure."""

    title: str
    joint_names: list[str]
    frame: int
    joint: int
    joints: np.ndarray | None  # (V, 3) person 0 at ``frame``; None when the input is bones (nothing to draw)
    skeleton_box: np.ndarray | None  # (2, 2): lowest and highest coordinates of person 0 on ``plane``, all frames
    ssa: np.ndarray | None  # (V, V) at the unit, head (or mean) and frame
    ssa_vmax: float | None  # shared by every head and frame of the layer
    ssa_title: str
    tsa: np.ndarray | None  # (T', T') of ``joint``
    tsa_vmax: float | None  # shared by every head and joint of the layer
    tsa_stride: int  # input frames per layer frame
    tsa_title: str
    prediction: list[str]  # lines: the stream, its top-5 with probabilities, the true label
    plane: str = "xz"  # the skeleton's projection: x-z after NTU's normalisation, x-y for Kinetics' image plane


def _unit(layer: str) -> int:
    match = _UNIT.match(layer)
    if match is None:
        raise ExploreError(f"attention layer {layer!r}: expected a name backbone.<unit>.<gcn1|tcn1>")
    return int(match.group(1))


@torch.no_grad()
def _run(loaded: LoadedModel, x: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Softmax (K,) and person 0's attention maps of one (C, T, V, M) input under ``loaded``."""
    device = next(loaded.model.parameters()).device
    batch = torch.as_tensor(np.asarray(x, dtype=np.float32))[None].to(device)  # (1, C, T, V, M)
    logits, maps = loaded.model.eval()(batch, return_attention=True)
    return softmax(logits)[0], {name: w.float().cpu().numpy()[0] for name, w in maps.items()}


def _tops(maps: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Per layer, the largest weight over all heads and frames (or joints): one scale from 0 for the layer."""
    return {layer: float(w.max()) for layer, w in maps.items()}


class Explorer:
    """Trained S-TR and/or T-TR models, an optional validation split, and the cache of their attention."""

    def __init__(
        self,
        models: Mapping[str, LoadedModel],
        dataset: SkeletonDataset | Mapping[str, SkeletonDataset] | None = None,
        scores: Mapping[str, Scores] | None = None,
        class_names: Sequence[str] | None = None,
    ) -> None:
        models = {s: m for s, m in models.items()}
        if not models:
            raise ExploreError("the explorer needs at least one S-TR (spatial) or T-TR (temporal) model")
        for stream, loaded in models.items():
            if loaded.stream not in STREAM_TITLES or stream != loaded.stream:
                raise ExploreError(
                    f"{loaded.source}: a {loaded.stream} model given as {stream!r}; the explorer shows the attention "
                    "of S-TR (spatial) and T-TR (temporal) models, each under its own stream"
                )
        graphs = {m.graph for m in models.values()}
        if len(graphs) != 1:
            raise ExploreError(f"the models have different skeletons ({sorted(graphs)}); load models of one graph")
        self.models: dict[str, LoadedModel] = dict(sorted(models.items(), key=lambda kv: kv[0] != "spatial"))
        first = next(iter(self.models.values()))
        self.layout = first.layout
        if isinstance(dataset, SkeletonDataset):
            dataset = {s: dataset for s in self.models}
        self.datasets: dict[str, SkeletonDataset] = dict(dataset or {})
        self._scores = dict(scores or {})
        names = class_names or (self._any_dataset().class_names if self.datasets else None) or first.class_names
        self.class_names: list[str] = list(names)
        self._cache: dict[tuple[int | str, str], Attention] = {}
        self._predicted: dict[str, np.ndarray] = {}
        self._canvas: Any = None  # sttr.plots.ExplorerCanvas, made on the first png

    # opening ----------------------------------------------------------------------------------

    @classmethod
    def from_companion(cls, run: Companion, seed: int | None = None) -> Explorer:
        """The first seed's (or ``seed``'s) S-TR and T-TR of a profile's runs on its validation split, with their
        stored validation scores for the correct/wrong filter."""
        models, datasets, scores = {}, {}, {}
        for stream in STREAM_TITLES:
            try:
                models[stream] = run.model(stream, seed=seed)
            except FileNotFoundError:
                continue
            datasets[stream] = run.validation_set(models[stream])
            stored = run.scores(stream).get(run.seeds[0] if seed is None else seed)
            if stored is not None and len(stored.labels) == len(datasets[stream]):  # a capped evaluation covers less
                scores[stream] = stored
        if not models:
            raise ExploreError(
                f"no trained S-TR or T-TR of profile {run.profile.name}; run notebooks/03_train_s_tr.ipynb and "
                "04_train_t_tr.ipynb first"
            )
        return cls(models, datasets, scores)

    @classmethod
    def from_checkpoints(
        cls,
        checkpoints: Sequence[str | Path | dict] | str | Path,
        split_dir: str | Path | None = None,
        class_names: Sequence[str] | None = None,
        device: str = "cpu",
    ) -> Explorer:
        """Any trained checkpoints, ours or the authors' (``load_checkpoint`` reads both), optionally on the
        validation split of a prepared folder (fed as each model was validated)."""
        if isinstance(checkpoints, (str, Path, dict)):
            checkpoints = [checkpoints]
        models: dict[str, LoadedModel] = {}
        for ck in checkpoints:
            loaded = load_checkpoint(ck, device=device)
            if loaded.stream in models:
                raise ExploreError(f"{loaded.source}: a second {loaded.stream} model; give one S-TR and one T-TR")
            models[loaded.stream] = loaded
        datasets = {}
        if split_dir is not None:
            for stream, loaded in models.items():
                kw = {"window": loaded.window, "resample": loaded.resample} if loaded.window else {}
                datasets[stream] = SkeletonDataset.from_dir(split_dir, "val", modality=loaded.modality, **kw)
        return cls(models, datasets, class_names=class_names)

    # what can be picked -------------------------------------------------------------------------

    @property
    def streams(self) -> list[str]:
        return list(self.models)

    @property
    def units(self) -> list[int]:
        """Units with an attention layer in any loaded stream (SSA in S-TR, TSA in T-TR)."""
        return sorted({_unit(layer) for s in self.streams for layer in self.layers(s)})

    def layers(self, stream: str) -> list[str]:
        """The attention layers of one stream's model, input to output."""
        model = self.models[self._stream(stream)].model
        return [n for n, m in model.named_modules() if isinstance(m, (SpatialSelfAttention, TemporalSelfAttention))]

    @property
    def heads(self) -> int:
        return max(int(m.config.heads) for m in self.models.values())

    def _any_dataset(self) -> SkeletonDataset:
        return next(iter(self.datasets.values()))

    def _stream(self, stream: str) -> str:
        if stream not in self.models:
            loaded = ", ".join(f"{STREAM_TITLES[s]} ({s})" for s in self.models)
            raise ExploreError(f"stream {stream!r}: not loaded; this explorer has {loaded}")
        return stream

    def __len__(self) -> int:
        return len(self._any_dataset()) if self.datasets else 0

    def predicted(self, stream: str) -> np.ndarray:
        """Predicted class of every validation sample under ``stream`` (N,): from its stored scores, else
        computed once in batches."""
        stream = self._stream(stream)
        if stream not in self._predicted:
            if stream in self._scores:
                self._predicted[stream] = self._scores[stream].scores.argmax(axis=1)
            else:
                ds, model = self.datasets[stream], self.models[stream].model
                out = []
                with torch.no_grad():
                    for start in range(0, len(ds), 32):
                        x = torch.stack([ds[i][0] for i in range(start, min(start + 32, len(ds)))])  # (B, C, T, V, M)
                        out.append(model.eval()(x).argmax(dim=1).numpy())
                self._predicted[stream] = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
        return self._predicted[stream]

    def samples(self, class_name: str | None = None, outcome: str = "all", stream: str | None = None) -> list[int]:
        """Validation indices of one class (None: every class) that ``stream`` (default: the first) classifies
        correctly, wrongly, or either (``outcome``)."""
        if not self.datasets:
            return []
        if outcome not in OUTCOMES:
            raise ExploreError(f"outcome {outcome!r}: expected one of {OUTCOMES}")
        labels = np.asarray(self._any_dataset().labels)
        keep = np.ones(len(labels), dtype=bool)
        if class_name is not None:
            if class_name not in self.class_names:
                raise ExploreError(f"class {class_name!r}: not one of the {len(self.class_names)} classes")
            keep &= labels == self.class_names.index(class_name)
        if outcome != "all":
            right = self.predicted(stream or self.streams[0]) == labels
            keep &= right if outcome == "correct" else ~right
        return np.flatnonzero(keep).tolist()

    # attention, cached --------------------------------------------------------------------------

    def attention(self, sample: int | str, stream: str) -> Attention:
        """One sample (a validation index or a file path) under one stream, computed once and cached."""
        stream = self._stream(stream)
        key = (sample, stream)
        if key not in self._cache:
            self._cache[key] = self._compute(sample, stream)
        return self._cache[key]

    def _compute(self, sample: int | str, stream: str) -> Attention:
        loaded = self.models[stream]
        if isinstance(sample, (int, np.integer)):
            ds = self.datasets.get(stream)
            if ds is None:
                raise ExploreError("no validation split is loaded: pick a file of your own instead of an index")
            if not 0 <= int(sample) < len(ds):
                raise ExploreError(f"sample {sample}: expected an index below {len(ds)} (validation samples)")
            x, label, _ = ds[int(sample)]
            probs, maps = _run(loaded, x.numpy())
            return Attention(str(ds.sample_names[int(sample)]), int(label), x.numpy(), probs, maps, _tops(maps))
        item = load_input(sample, 0, int(loaded.config.num_persons))[0]
        x, note = fit_stream(item.x, item.frames, loaded, item.source)  # (C, T, V, M)
        probs, maps = _run(loaded, x)
        note = "; ".join(n for n in (item.note, note) if n) or None
        return Attention(item.name, None, x, probs, maps, _tops(maps), note)

    def cached(self) -> list[tuple[int | str, str]]:
        """The (sample, stream) pairs computed so far."""
        return list(self._cache)

    # state -> what is drawn ---------------------------------------------------------------------

    def frames(self, view: View) -> int:
        """Input frames of the view's sample under its stream (the frame control's range)."""
        return int(self.attention(view.sample, view.stream).x.shape[1])

    def default_view(self, sample: int | str | None = None) -> View:
        """The deepest unit, mean over heads, the middle frame, the right hand (NTU) or wrist (Kinetics-skeleton)."""
        if sample is None:
            right = self.samples(outcome="correct") if self.datasets else []
            sample = (right or [0])[0]
        view = View(sample=sample, stream=self.streams[0], unit=self.units[-1])
        names = list(self.layout.joint_names)
        joint = next((names.index(j) for j in ("right hand", "right wrist") if j in names), 0)
        return replace(view, frame=self.frames(view) // 2, joint=joint)

    def scene(self, view: View) -> Scene:
        """The arrays and captions that ``view`` draws; every choice is checked against the models."""
        att = self.attention(view.sample, view.stream)
        t = att.x.shape[1]
        names = list(self.layout.joint_names)
        if not 0 <= view.frame < t:
            raise ExploreError(f"frame {view.frame}: expected 0..{t - 1} ({att.name} has {t} input frames)")
        if not 0 <= view.joint < len(names):
            raise ExploreError(f"joint {view.joint}: expected 0..{len(names) - 1}")
        if view.unit not in self.units:
            raise ExploreError(f"unit {view.unit}: the attention units are {self.units}")
        if view.head is not None and not 0 <= view.head < self.heads:
            raise ExploreError(f"head {view.head}: expected 0..{self.heads - 1} or None (the mean over heads)")
        head = "mean over heads" if view.head is None else f"head {view.head + 1}"
        ssa = ssa_vmax = tsa = tsa_vmax = None
        ssa_title = tsa_title = ""
        stride = 1
        if "spatial" in self.models:
            s_att = self.attention(view.sample, "spatial")
            layer = f"backbone.{view.unit}.gcn1"
            w = s_att.maps[layer]  # (T', N_h, V, V)
            f = min(view.frame * w.shape[0] // s_att.x.shape[1], w.shape[0] - 1)  # the layer's frame
            w = w[f]  # (N_h, V, V)
            ssa = w.mean(axis=0) if view.head is None else w[view.head]  # (V, V)
            ssa_vmax = s_att.tops[layer]
            ssa_title = f"S-TR SSA, unit {view.unit}, {head}, frame {view.frame}"
        else:
            ssa_title = "SSA: no S-TR loaded"
        if "temporal" in self.models:
            t_att = self.attention(view.sample, "temporal")
            layer = f"backbone.{view.unit}.tcn1"
            w = t_att.maps[layer][view.joint]  # (N_h, T', T')
            tsa = w.mean(axis=0) if view.head is None else w[view.head]  # (T', T')
            tsa_vmax = t_att.tops[layer]
            stride = max(1, t_att.x.shape[1] // tsa.shape[0])
            tsa_title = f"T-TR TSA, unit {view.unit}, {head}, {names[view.joint]}"
        else:
            tsa_title = "TSA: no T-TR loaded"
        joints = box = None
        plane = "xz" if self.layout is NTU else "xy"  # Kinetics-skeleton: (x, y, score) in the image plane
        if self.models[view.stream].modality != "bone":
            joints = att.x[:3, view.frame, :, 0].T  # (V, 3): person 0's joints, as the model saw them
            axes = ["xyz".index(c) for c in plane]
            xz = att.x[axes, :, :, 0].reshape(2, -1)  # (2, T*V): both plane coordinates of every joint and frame
            box = np.stack([xz.min(axis=1), xz.max(axis=1)])  # (2, 2): lowest and highest on the plane
        return Scene(
            title=f"{att.name}" + (f" ({att.note})" if att.note else ""),
            joint_names=names,
            frame=view.frame,
            joint=view.joint,
            joints=joints,
            skeleton_box=box,
            plane=plane,
            ssa=ssa,
            ssa_vmax=ssa_vmax,
            ssa_title=ssa_title,
            tsa=tsa,
            tsa_vmax=tsa_vmax,
            tsa_stride=stride,
            tsa_title=tsa_title,
            prediction=self._prediction_lines(att, view.stream),
        )

    def _prediction_lines(self, att: Attention, stream: str) -> list[str]:
        order = np.argsort(-att.probabilities, kind="stable")[:TOP_K]
        names = self.class_names
        if len(names) != att.probabilities.shape[0]:
            names = self.models[stream].class_names
        lines = [f"{STREAM_TITLES[stream]} top-{len(order)}:"]
        lines += [f"{r + 1}. {names[c]}  {att.probabilities[c]:.3f}" for r, c in enumerate(order)]
        truth = "unknown (own file)" if att.label is None else names[att.label]
        mark = "" if att.label is None else ("  (correct)" if order[0] == att.label else "  (wrong)")
        return lines + [f"true: {truth}{mark}"]

    # drawing --------------------------------------------------------------------------------------

    def figure(self, view: View | None = None, fig: Figure | None = None) -> Figure:
        """Draw ``view`` (default: ``default_view()``) as an ordinary matplotlib figure, or into ``fig``."""
        from sttr.plots import plot_explorer

        scene = self.scene(view or self.default_view())
        return plot_explorer(scene, fig=fig)

    def png(self, view: View) -> bytes:
        """``view`` as PNG bytes (what the widget shows), redrawn on one ``sttr.plots.ExplorerCanvas``."""
        from PIL import Image

        from sttr.plots import ExplorerCanvas

        scene = self.scene(view)
        if self._canvas is None:
            self._canvas = ExplorerCanvas(scene)
            self._canvas.warm([self.scene(replace(view, unit=u)) for u in self.units])
        buf = io.BytesIO()
        Image.fromarray(self._canvas.update(scene)).save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def widget(self, view: View | None = None) -> Any:
        """The interactive explorer: ipywidgets controls and the figure they redraw (see ``ExplorerWidget``)."""
        return ExplorerWidget(self, view or self.default_view()).box


class ExplorerWidget:
    """ipywidgets controls over an ``Explorer``: sample (class, correct/wrong, index, or a file), stream, unit,
    head, frame and joint; each change redraws the figure image; a bad choice shows its message."""

    def __init__(self, explorer: Explorer, view: View) -> None:
        import ipywidgets as w

        self.explorer = explorer
        self.view = view
        self._syncing = False
        ex = explorer
        style = {"description_width": "90px"}
        self.cls = w.Dropdown(options=["all classes", *ex.class_names], description="class", style=style)
        self.outcome = w.ToggleButtons(options=list(OUTCOMES), description="outcome", style=style)
        self.index = w.Dropdown(description="sample", style=style, layout=w.Layout(width="440px"))
        self.path = w.Text(placeholder=".skeleton, .npy or Kinetics .json path", description="file", style=style,
                           layout=w.Layout(width="400px"))  # fmt: skip
        self.load = w.Button(description="load file")
        self.stream = w.ToggleButtons(options=[(STREAM_TITLES[s], s) for s in ex.streams], value=view.stream,
                                      description="stream", style=style)  # fmt: skip
        self.unit = w.Dropdown(options=ex.units, value=view.unit, description="unit", style=style)
        heads = [("mean", -1)] + [(f"head {h + 1}", h) for h in range(ex.heads)]
        self.head = w.Dropdown(options=heads, value=-1 if view.head is None else view.head, description="head",
                               style=style)
        self.frame = w.IntSlider(value=view.frame, min=0, max=ex.frames(view) - 1, description="frame (SSA)",
                                 continuous_update=False, style=style)  # fmt: skip
        self.joint = w.Dropdown(options=[(n, j) for j, n in enumerate(ex.layout.joint_names)], value=view.joint,
                                description="joint (TSA)", style=style)  # fmt: skip
        self.status = w.HTML()
        self.image = w.Image(format="png")
        self._fill_samples()
        if isinstance(view.sample, int) and view.sample in [v for _, v in self.index.options]:
            self.index.value = view.sample
        for control in (self.stream, self.unit, self.head, self.frame, self.joint):
            control.observe(self._on_change, names="value")
        self.index.observe(self._on_sample, names="value")
        self.cls.observe(self._on_filter, names="value")
        self.outcome.observe(self._on_filter, names="value")
        self.stream.observe(self._on_stream, names="value")
        self.load.on_click(self._on_file)
        self.image.add_class("sttr-explorer-figure")
        self.box = w.VBox([
            w.HBox([self.cls, self.outcome]),
            w.HBox([self.index, self.path, self.load]),
            w.HBox([self.stream, self.unit, self.head]),
            w.HBox([self.frame, self.joint]),
            self.status,
            self.image,
        ])  # fmt: skip
        self.redraw()

    def _fill_samples(self) -> None:
        ex = self.explorer
        cls = None if self.cls.value == "all classes" else self.cls.value
        picks = ex.samples(cls, self.outcome.value, self.stream.value) if ex.datasets else []
        ds = ex._any_dataset() if ex.datasets else None
        self.index.options = [(f"{i}: {ds.sample_names[i]} ({ex.class_names[ds.labels[i]]})", i) for i in picks]

    def _on_filter(self, _change: Any) -> None:
        self._fill_samples()
        self.status.value = "" if self.index.options else "<b>no sample matches these filters</b>"

    def _on_stream(self, _change: Any) -> None:
        """Correct or wrong depends on the stream: the sample list follows it."""
        if self.outcome.value != "all":
            self._on_filter(None)

    def _on_sample(self, change: Any) -> None:
        if change["new"] is not None:
            self._set(sample=int(change["new"]))

    def _on_file(self, _button: Any) -> None:
        if self.path.value.strip():
            self._set(sample=self.path.value.strip())

    def _on_change(self, _change: Any) -> None:
        head = None if self.head.value == -1 else int(self.head.value)
        self._set(stream=self.stream.value, unit=int(self.unit.value), head=head, frame=int(self.frame.value),
                  joint=int(self.joint.value))  # fmt: skip

    def _set(self, **changes: Any) -> None:
        """Apply a control change; a new sample resets the frame range; an error keeps the last figure."""
        if self._syncing:
            return
        view = replace(self.view, **changes)
        try:
            frames = self.explorer.frames(view)
            if view.frame >= frames:
                view = replace(view, frame=frames // 2)
            self.view = view
            self._syncing = True  # the frame control follows the new range without a second redraw
            try:
                self.frame.max = frames - 1
                self.frame.value = view.frame
            finally:
                self._syncing = False
            self.redraw()
        except (ExploreError, InputError, OSError) as exc:
            self.status.value = f"<b>cannot show this:</b> {exc}"

    def redraw(self) -> None:
        self.image.value = self.explorer.png(self.view)
        self.status.value = ""
