"""The Predictor: loads one or more checkpoints once and classifies many inputs; two or more give the paper's
two-stream fusion, the sum of the streams' softmax scores (Sec. 2.3).

The checkpoints must share the same graph and classes (count, and names where our trainer stored them). The
input's layout must be the checkpoint's graph: NTU inputs (25 joints, x y z) for NTU models, 2D inputs
(Kinetics-skeleton clips, OpenPose-18 and COCO-17 keypoints, prepared 18-joint arrays: x y score) for
Kinetics-skeleton models; anything else is an error that names the input's layout and the checkpoint's graph.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from sttr.checkpoint import CheckpointError, LoadedModel, load_checkpoint
from sttr.data.formats import LABEL_NAMES, read_label_names
from sttr.evaluation.attention import attention_maps
from sttr.evaluation.scores import class_mismatch, softmax, sum_scores
from sttr.predict.fit import fit_stream
from sttr.predict.inputs import InputError, InputLike, Item, load_input
from sttr.predict.output import to_json

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopK:
    """One of the top-k classes of a prediction."""

    rank: int
    label: int
    name: str
    probability: float


@dataclass
class Prediction:
    """What the model(s) say about one input sequence; ``error`` is set (and scores empty) when it failed."""

    name: str
    source: str
    top_k: list[TopK] = field(default_factory=list)
    scores: np.ndarray | None = None  # (K,) fused: sum of the streams' softmax scores
    stream_scores: list[np.ndarray] = field(default_factory=list)  # (K,) softmax per checkpoint
    frames: int | None = None
    note: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self, checkpoints: Sequence[str] = ()) -> dict[str, Any]:
        """This prediction as a plain dict of the JSON schema (``sttr.predict.output``)."""
        return {
            "input": self.name,
            "source": self.source,
            "frames": self.frames,
            "note": self.note,
            "top_k": [
                {"rank": t.rank, "label": t.label, "name": t.name, "probability": round(t.probability, 6)}
                for t in self.top_k
            ],
            "fused_scores": [] if self.scores is None else [round(float(v), 6) for v in self.scores],
            "streams": [
                {"checkpoint": str(c), "scores": [round(float(v), 6) for v in s]}
                for c, s in zip(checkpoints, self.stream_scores)
            ],
        }


@dataclass(frozen=True)
class AttentionMap:
    """An attention map of one input: SSA (V, V) joint-by-joint or TSA (T', T') frame-by-frame."""

    stream: str  # "spatial" (SSA) or "temporal" (TSA)
    graph: str  # the model's skeleton graph: "ntu" or "kinetics" (joint names of SSA maps)
    layer: str
    weights: np.ndarray
    input_frames: int  # T of the model input; T / T' is the layer's temporal stride
    input_name: str


def class_names_from(source: Sequence[str] | str | Path) -> list[str]:
    """Class names given as a list, a ``label_names.json`` file or a folder holding one (a prepared split)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        folder = path if path.is_dir() else path.parent
        if path.is_file() and path.name != LABEL_NAMES:
            raise ValueError(f"{path}: expected a {LABEL_NAMES} file (a JSON list of class names) or its folder")
        names = read_label_names(folder)
        if names is None:
            raise FileNotFoundError(f"{folder / LABEL_NAMES}: not found (prepare-ntu and prepare-kinetics write it)")
        return names
    return [str(n) for n in source]


def _stored_names(loaded: LoadedModel) -> list[str] | None:
    """The class names a checkpoint carries: ours stores them; the authors' names come from the class count."""
    return list(loaded.class_names) if loaded.kind == "sttr" else None


class Predictor:
    """Loads one or more checkpoints once and predicts many inputs (several checkpoints: summed softmax).

    ``class_names`` (a list, a ``label_names.json`` or a prepared split's folder) names the classes where the
    checkpoints do not, e.g. the Kinetics-400 names for the authors' Kinetics-skeleton checkpoints.
    """

    def __init__(
        self,
        checkpoints: Sequence[str | Path | dict] | str | Path,
        device: str | torch.device = "cpu",
        top_k: int = 5,
        batch_size: int = 16,
        progress: bool = True,
        class_names: Sequence[str] | str | Path | None = None,
    ) -> None:
        if isinstance(checkpoints, (str, Path, dict)):
            checkpoints = [checkpoints]
        if not checkpoints:
            raise ValueError("Predictor: expected at least one checkpoint")
        self.device = torch.device(device)
        self.top_k = int(top_k)
        self.batch_size = int(batch_size)
        self.progress = progress
        self.streams: list[LoadedModel] = [load_checkpoint(c, device=self.device) for c in checkpoints]
        first = self.streams[0]
        for other in self.streams[1:]:
            if other.graph != first.graph:
                raise CheckpointError(
                    f"{other.source} is a model of graph {other.graph!r} ({other.layout.title}) but {first.source} "
                    f"of graph {first.graph!r} ({first.layout.title}): fusion needs models of the same skeleton"
                )
            mismatch = class_mismatch(first.source, first.num_classes, _stored_names(first),
                                      other.source, other.num_classes, _stored_names(other))  # fmt: skip
            if mismatch:
                raise CheckpointError(mismatch)
        persons = {int(s.config.num_persons) for s in self.streams}
        if len(persons) != 1:
            listing = ", ".join(f"{s.source}: {s.config.num_persons}" for s in self.streams)
            raise CheckpointError(f"the checkpoints take different numbers of persons: {listing}")
        self.num_persons = persons.pop()
        stored = next((names for names in map(_stored_names, self.streams) if names), list(first.class_names))
        self.class_names: list[str] = stored if class_names is None else class_names_from(class_names)
        if len(self.class_names) != first.num_classes:
            raise ValueError(f"{len(self.class_names)} class names for {first.source}'s {first.num_classes} classes")

    @property
    def checkpoints(self) -> list[str]:
        return [s.source for s in self.streams]

    def _items(self, inputs: Sequence[InputLike]) -> Iterator[tuple[int, InputLike, list[Item] | Exception]]:
        for i, inp in enumerate(inputs):
            try:
                yield i, inp, load_input(inp, i, self.num_persons)
            except (InputError, ValueError, OSError) as exc:
                yield i, inp, exc

    @torch.no_grad()
    def _scores(self, loaded: LoadedModel, xs: list[np.ndarray]) -> list[np.ndarray]:
        """Softmax scores (K,) of every fitted (C, T, V, M) array under one stream, batched by equal shape."""
        out: list[np.ndarray] = [np.empty(0, np.float32)] * len(xs)
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for j, x in enumerate(xs):
            by_shape.setdefault(x.shape, []).append(j)
        for idx in by_shape.values():
            for start in range(0, len(idx), self.batch_size):
                chunk = idx[start : start + self.batch_size]
                x = torch.from_numpy(np.stack([xs[j] for j in chunk]))  # (B, C, T, V, M)
                probs = softmax(loaded.model(x.to(self.device)))  # (B, K)
                for j, p in zip(chunk, probs):
                    out[j] = p
        return out

    def _predict_items(self, items: list[Item], strict: bool) -> list[Prediction]:
        """Fit every item to every stream (a misfit is that item's error), run the streams, fuse."""
        fitted: list[list[tuple[np.ndarray, str | None]]] = []
        errors: dict[int, str] = {}
        for j, it in enumerate(items):
            try:
                fitted.append([fit_stream(it.x, it.frames, s, it.source) for s in self.streams])
            except InputError as exc:
                if strict:
                    raise
                log.warning("%s", exc)
                errors[j] = str(exc)
                fitted.append([])
        good = [j for j in range(len(items)) if j not in errors]
        per_stream = [self._scores(s, [fitted[j][k][0] for j in good]) for k, s in enumerate(self.streams)]
        scores_of = {j: [per_stream[k][g] for k in range(len(self.streams))] for g, j in enumerate(good)}
        preds = []
        for j, it in enumerate(items):
            if j in errors:
                preds.append(Prediction(it.name, it.source, frames=it.frames, error=errors[j]))
                continue
            stream_scores = scores_of[j]
            fused = sum_scores(stream_scores)  # (K,)
            order = np.argsort(-fused, kind="stable")[: min(self.top_k, fused.shape[0])]
            notes: list[str] = [it.note] if it.note else []
            for s, (_, note) in zip(self.streams, fitted[j]):
                if note:
                    notes.append(note if len(self.streams) == 1 else f"{Path(s.source).name}: {note}")
            preds.append(
                Prediction(
                    name=it.name,
                    source=it.source,
                    top_k=[
                        TopK(r + 1, int(c), self.class_names[c], float(fused[c]) / len(self.streams))
                        for r, c in enumerate(order)
                    ],
                    scores=fused,
                    stream_scores=stream_scores,
                    frames=it.frames,
                    note="; ".join(notes) if notes else None,
                )
            )
        return preds

    def predict(self, inputs: InputLike | Sequence[InputLike], strict: bool = False) -> list[Prediction]:
        """Predict every input (paths or arrays), in order; a bad input gives a Prediction with ``error`` set
        (the others are still predicted), or raises when ``strict``."""
        if isinstance(inputs, (str, Path, np.ndarray)):
            inputs = [inputs]
        results: list[Prediction] = []
        pending: list[Item] = []
        bar = tqdm(total=len(inputs), desc="predict", unit="input", disable=not self.progress or len(inputs) < 2)
        for i, inp, loaded in self._items(inputs):
            if isinstance(loaded, Exception):
                if strict:
                    raise loaded
                log.warning("%s", loaded)
                results.extend(self._predict_items(pending, strict))
                pending = []
                name = f"array[{i}]" if isinstance(inp, np.ndarray) else Path(inp).name
                source = f"<array {i}>" if isinstance(inp, np.ndarray) else str(inp)
                results.append(Prediction(name, source, error=str(loaded)))
            else:
                pending.extend(loaded)
                if len(pending) >= self.batch_size:
                    results.extend(self._predict_items(pending, strict))
                    pending = []
            bar.update(1)
        results.extend(self._predict_items(pending, strict))
        bar.close()
        return results

    def attention(self, inp: InputLike, stream: int | None = None, layer: str | None = None) -> AttentionMap:
        """Attention map of the first sample of ``inp`` in one S-TR/T-TR stream (default: the first such).

        SSA maps are averaged over heads and the frames of the first person -> (V, V) joint-by-joint;
        TSA maps over heads and the joints of the first person -> (T', T') frame-by-frame.
        """
        if stream is None:
            stream = next((i for i, s in enumerate(self.streams) if s.stream in ("spatial", "temporal")), 0)
        loaded = self.streams[stream]
        if loaded.stream not in ("spatial", "temporal"):
            raise ValueError(
                "attention maps need an S-TR (spatial) or T-TR (temporal) checkpoint; got "
                + ", ".join(f"{s.source} ({s.stream})" for s in self.streams)
            )
        item = load_input(inp, 0, self.num_persons)[0]
        x, _ = fit_stream(item.x, item.frames, loaded, item.source)
        maps = attention_maps(loaded.model, x)
        if not maps:
            raise ValueError(f"{loaded.source}: the model returned no attention maps")
        if layer is None:
            layer = list(maps)[-1]  # the deepest attention layer
        if layer not in maps:
            raise ValueError(f"attention layer {layer!r} not found; the model has {list(maps)}")
        w = maps[layer][0]  # person 0: SSA (T, N_h, V, V) / TSA (V, N_h, T', T')
        return AttentionMap(loaded.stream, loaded.graph, layer, w.mean(axis=(0, 1)), int(x.shape[1]), item.name)

    def to_json(self, predictions: Sequence[Prediction]) -> dict[str, Any]:
        """Predictions as the JSON-safe dict of schema ``sttr-predictions/1`` (``sttr.predict.output``)."""
        return to_json(predictions, self)


def predict(
    inputs: InputLike | Sequence[InputLike],
    checkpoints: Sequence[str | Path | dict] | str | Path,
    device: str | torch.device = "cpu",
    top_k: int = 5,
    batch_size: int = 16,
    progress: bool = True,
    strict: bool = False,
    class_names: Sequence[str] | str | Path | None = None,
) -> list[Prediction]:
    """One-call prediction: load ``checkpoints`` (two: fusion) and predict ``inputs``."""
    predictor = Predictor(checkpoints, device=device, top_k=top_k, batch_size=batch_size, progress=progress,
                          class_names=class_names)  # fmt: skip
    return predictor.predict(inputs, strict=strict)
