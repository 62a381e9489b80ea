"""Predictions written out: the JSON document (schema ``sttr-predictions/1``) and a terminal table.

JSON output (``to_json``), schema ``sttr-predictions/1``::

    {
      "schema": "sttr-predictions/1",
      "fusion": "sum of softmax scores",          # or "single stream"
      "top_k": 5,
      "class_names": ["drink water", ...],         # index = label
      "checkpoints": [{"path": str, "kind": "sttr" | "official", "stream": "spatial" | "temporal" |
                       "stgcn", "graph": "ntu" | "kinetics", "modality": "joint" | "bone" | "joint_bone",
                       "num_classes": int, "window": int | null, "resample": bool}],
      "predictions": [{
          "input": str,                            # file name, "file.npy[i]" for (N, ...) arrays
          "source": str,                           # path of the input file, "<array i>" for arrays
          "frames": int,                           # frames of the input sequence (valid frames)
          "note": str | null,                      # how the input was converted or fitted to the window, if it was
          "top_k": [{"rank": 1, "label": int, "name": str, "probability": float}],
                                                   # probability = fused score / number of streams
          "fused_scores": [float, ...],            # (K,) sum of the streams' softmax scores
          "streams": [{"checkpoint": str, "scores": [float, ...]}]   # (K,) softmax of each stream
      }],
      "errors": [{"input": str, "error": str}]     # inputs that could not be predicted
    }
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sttr.predict.predictor import Prediction, Predictor

SCHEMA = "sttr-predictions/1"


def to_json(predictions: Sequence[Prediction], predictor: Predictor) -> dict[str, Any]:
    """The documented JSON document (schema ``sttr-predictions/1``) of ``predictions``."""
    return {
        "schema": SCHEMA,
        "fusion": "sum of softmax scores" if len(predictor.streams) > 1 else "single stream",
        "top_k": predictor.top_k,
        "class_names": list(predictor.class_names),
        "checkpoints": [
            {
                "path": s.source,
                "kind": s.kind,
                "stream": s.stream,
                "graph": s.graph,
                "modality": s.modality,
                "num_classes": s.num_classes,
                "window": s.window,
                "resample": s.resample,
            }
            for s in predictor.streams
        ],
        "predictions": [p.to_dict(predictor.checkpoints) for p in predictions if p.ok],
        "errors": [{"input": p.source, "error": p.error} for p in predictions if not p.ok],
    }


def write_json(predictions: Sequence[Prediction], predictor: Predictor, path: str | Path) -> Path:
    """Write ``to_json`` to ``path`` (UTF-8, indented)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(predictions, predictor), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def format_table(predictions: Sequence[Prediction]) -> str:
    """A readable terminal table: per input its top-k (rank, label, name, probability), notes and errors."""
    lines: list[str] = []
    for p in predictions:
        header = f"{p.name}" + (f"  ({p.frames} frames)" if p.frames is not None else "")
        lines.append(header)
        if not p.ok:
            lines.append(f"  ERROR: {p.error}")
        else:
            width = max((len(t.name) for t in p.top_k), default=4)
            lines.append(f"  {'rank':>4}  {'label':>5}  {'action':<{width}}  {'prob':>6}")
            for t in p.top_k:
                lines.append(f"  {t.rank:>4}  {t.label:>5}  {t.name:<{width}}  {t.probability:>6.3f}")
            if p.note:
                lines.append(f"  note: {p.note}")
        lines.append("")
    return "\n".join(lines)
