"""Predict: classify one's own skeleton sequences with our trained or the authors' checkpoints.

The preprocessing is the training one, so a prediction means what the benchmark numbers mean. One job per
module: ``inputs`` reads and tells the layouts apart, ``fit`` fits a read input to a checkpoint (graph,
channels, window), ``predictor`` runs and fuses the checkpoints, ``output`` writes JSON and tables,
``figure`` draws an input's attention map.
"""

from sttr.predict.fit import check_graph, fit_stream
from sttr.predict.inputs import COCO_NOTE, InputError, InputLike, Item, load_input
from sttr.predict.output import SCHEMA, format_table, to_json, write_json
from sttr.predict.predictor import AttentionMap, Prediction, Predictor, TopK, class_names_from, predict

__all__ = [
    "COCO_NOTE",
    "SCHEMA",
    "AttentionMap",
    "InputError",
    "InputLike",
    "Item",
    "Prediction",
    "Predictor",
    "TopK",
    "check_graph",
    "class_names_from",
    "fit_stream",
    "format_table",
    "load_input",
    "predict",
    "to_json",
    "write_json",
]
