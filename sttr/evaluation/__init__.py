"""Evaluation, one job per module: ``metrics`` (top-k, per-class, confusion), ``scores`` (score files,
compatibility, fusion, per-class gains), ``inference`` (the inference loop, evaluating a checkpoint),
``attention`` (attention maps of a trained model and how far they depend on the query and the sample),
``tables`` (CSV and Markdown)."""
