"""Hand-made scores shared by the evaluation tests: 4 samples, 3 classes."""

import numpy as np

# Hand-made scores: 4 samples, 3 classes.
SCORES = np.array(
    [[0.7, 0.2, 0.1],  # label 0: top-1 hit
     [0.5, 0.3, 0.2],  # label 1: top-2 hit
     [0.1, 0.3, 0.6],  # label 2: top-1 hit
     [0.2, 0.5, 0.3]],  # label 2: top-2 hit
    dtype=np.float32,
)  # fmt: skip
LABELS = np.array([0, 1, 2, 2])
NAMES = ["S001C001P001R001A001", "S001C001P001R001A002", "S001C001P002R001A003", "S001C002P002R001A003"]
CLASSES = ["drink water", "eat meal/snack", "brushing teeth"]
