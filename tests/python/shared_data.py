"""What both pytest files need: where the shared data and the CLI are, and an independent CSV reader.

The readers use only the csv module, so a test compares facemirror's values with what its own CSV
says, not with a second path through facemirror.
"""

import csv
import os
import pathlib

import numpy as np
import pytest

SHARED = pathlib.Path(os.environ.get("FACEMIRROR_SHARED_DIR")
                      or os.environ.get("FACEMIRROR_TEST_SHARED_DIR", ""))
MODELS = SHARED / "models" / "openface"
SAMPLES = SHARED / "videos" / "openface-samples"
VIDEO = SAMPLES / "changeLighting.wmv"  # 88 frames, 640x480
IMAGE = SAMPLES / "sample6.jpg"  # 12 faces
CLI = os.environ.get("FACEMIRROR_CLI", "facemirror")

needs_shared = pytest.mark.skipif(
    not MODELS.is_dir() or not VIDEO.is_file() or not IMAGE.is_file(),
    reason="shared data folder not found (set FACEMIRROR_SHARED_DIR)")


def _csv_rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f, skipinitialspace=True))


def read_csv_columns(path):
    """Every column as a float64 array, by name."""
    rows = _csv_rows(path)
    return {name: np.array([float(row[i]) for row in rows[1:]]) for i, name in enumerate(rows[0])}


def read_csv_rows(path):
    """Every row as {column: float}."""
    rows = _csv_rows(path)
    return [{name: float(value) for name, value in zip(rows[0], row)} for row in rows[1:]]
