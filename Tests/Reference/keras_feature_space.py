#!/usr/bin/env python3
"""Keras FeatureSpace reference encodings for DLPreprocessingTests (FeatureSpaceParityTests).

For a few small raw tables (strings, integers, floats) it builds keras.utils.FeatureSpace objects
with every feature type and the options dltrain's --feature-types takes, plus crosses, adapts them
on the table's training rows as FeatureSpace.adapt does (a dataset of single rows, which it
batches by 32), and records what they make of a second "apply" table that holds training values
and values the training rows never had: the encoded matrix in FeatureSpace's concat order
(features sorted by name, then crosses sorted by name; a feature or cross with output_mode "int"
contributes its index as one column, which FeatureSpace gives in "dict" mode), and each layer's
vocabulary, bin boundaries, mean and variance.

One case ("ties") holds a column with many equal values: Keras merges its quantile summaries with
numpy's default (unstable) argsort, whose order among equal values depends on the CPU's sort
kernel, so the recorder records that case with the merge made stable (dltrain's order) and keeps
Keras's own boundaries beside them for the record.

Usage (a Python with keras 3 and tensorflow; make's .build/python has them):
  KERAS_BACKEND=tensorflow .build/python/bin/python Tests/Reference/keras_feature_space.py
writes Tests/DLPreprocessingTests/Fixtures/keras_feature_space.json.
"""
import json
import os
import platform

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import tensorflow as tf
import keras
from keras.src.layers.preprocessing import discretization

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "DLPreprocessingTests", "Fixtures", "keras_feature_space.json"))
FS = keras.utils.FeatureSpace


def feature(spec):
    """A FeatureSpace feature from dltrain's TYPE[:OPTION=VALUE...] text."""
    kind, *options = spec.split(":")
    kwargs = {}
    for option in options:
        name, value = option.split("=")
        kwargs[name] = value if name == "output_mode" else (float(value) if name in ("scale", "offset") else int(value))
    return getattr(FS, kind)(**kwargs)


def dtype(spec):
    kind = spec.split(":")[0]
    return "string" if kind.startswith("string") else ("int32" if kind.startswith("integer") else "float32")


def array(values, spec):
    t = dtype(spec)
    return np.array(values, dtype=str if t == "string" else t)


def record(name, columns, fit_rows, crosses=()):
    """columns: name -> (type text, values); the first fit_rows values are the training rows, the
    rest (and the training rows again) the apply rows."""
    features = {c: feature(spec) for c, (spec, _) in columns.items()}
    cross_objects = []
    for text in crosses:
        names, *options = text.split(":")
        kwargs = dict(o.split("=") for o in options)
        cross_objects.append(FS.cross(
            names.split("*"), crossing_dim=int(kwargs.get("crossing_dim", 32)),
            output_mode=kwargs.get("output_mode", "one_hot")))
    space = FS(features=features, crosses=cross_objects, output_mode="dict")
    fit = {c: array(values[:fit_rows], spec) for c, (spec, values) in columns.items()}
    space.adapt(tf.data.Dataset.from_tensor_slices(fit))
    apply = {c: array(values, spec) for c, (spec, values) in columns.items()}
    encoded = space({c: v.reshape(-1, 1) for c, v in apply.items()})
    order = sorted(columns) + sorted(c.name for c in cross_objects)
    matrix = np.concatenate([np.asarray(encoded[n], dtype="float32").reshape(len(apply[order[0]]), -1) for n in order], axis=1)
    fitted = {}
    for c, (spec, _) in columns.items():
        layer = space.preprocessors[c]
        entry = {}
        if isinstance(layer, (keras.layers.StringLookup, keras.layers.IntegerLookup)):
            vocab = layer.get_vocabulary()[layer.num_oov_indices:]
            entry["vocabulary"] = [v.decode() if isinstance(v, bytes) else (str(v) if dtype(spec) == "string" else int(v)) for v in vocab]
        if isinstance(layer, keras.layers.Discretization):
            entry["boundaries"] = [float(b) for b in layer.bin_boundaries]
        if isinstance(layer, keras.layers.Normalization):
            entry["mean"] = float(np.asarray(layer.mean).ravel()[0])
            entry["variance"] = float(np.asarray(layer.variance).ravel()[0])
        fitted[c] = entry
    return {
        "name": name,
        "columns": [{"name": c, "type": spec, "values": [v.item() if hasattr(v, "item") else v for v in values]}
                    for c, (spec, values) in columns.items()],
        "crosses": list(crosses),
        "fit_rows": fit_rows,
        "width": int(matrix.shape[1]),
        "expected": matrix.astype(float).tolist(),
        "fitted": fitted,
    }


def stable_merge(prev_summary, next_summary, epsilon):
    merged = np.concatenate((prev_summary, next_summary), axis=1)
    merged = np.take(merged, np.argsort(merged[0], kind="stable"), axis=1)
    return discretization.compress_summary(merged, epsilon)


def main():
    rng = np.random.RandomState(25)
    cases = []

    # Strings: ties in the counts (b and a twice, é and z once), max_tokens cutting among ties,
    # several OOV indices (hashed), int output, a value only in the apply rows, the OOV token.
    n = 70
    colors = list(rng.choice(["red", "green", "blue", "gray", "teal"], size=n - 6)) + ["b", "a", "b", "a", "é", "z"]
    cities = list(rng.choice(["Oslo", "Lima", "Pune", "Kyiv", "Baku", "Rome"], size=n))
    sizes = list(rng.choice(["S", "M", "L", "XL"], size=n - 1)) + ["[UNK]"]
    shapes = list(rng.choice(["circle", "square", "star"], size=n))
    extra = 12
    unseen = ["mauve", "Nuuk", "XXL", "hexagon", "red", "Oslo", "S", "star", "", "[UNK]", "b", "z"]
    cases.append(record("strings", {
        "color": ("string_categorical", colors + unseen),
        "city": ("string_categorical:max_tokens=4", cities + unseen[::-1]),
        "size": ("string_categorical:num_oov_indices=3", sizes + unseen),
        "shape": ("string_categorical:output_mode=int", shapes + unseen[3:] + unseen[:3]),
    }, fit_rows=n))

    # Integers: ties, the OOV token -1 in the training rows, floormod OOV indices, int output.
    levels = list(rng.choice([1, 2, 3, 4, 5, 6, 7], size=n - 4)) + [-1, -1, 9, 9]
    codes = list(rng.choice([10, 20, 30, 40, 50, 60, 70, 80], size=n))
    grades = list(rng.choice([0, 1, 2], size=n))
    unseen_ints = [-1, 8, 11, 13, -7, 100, 1, 20, 2, 0, 35, -22]
    cases.append(record("integers", {
        "level": ("integer_categorical", levels + unseen_ints),
        "code": ("integer_categorical:num_oov_indices=3:max_tokens=6", codes + unseen_ints),
        "grade": ("integer_categorical:output_mode=int", grades + unseen_ints[::-1]),
    }, fit_rows=n))

    # Floats: every numeric kind; 300 training rows so the quantile summary merges and compresses
    # many batches of 32 (the last one partial).
    m = 300
    xs = rng.normal(3.0, 2.0, size=m + 20).round(4)
    ys = rng.normal(-50.0, 12.5, size=m + 20)
    zs = rng.uniform(0, 10, size=m + 20)
    ws = rng.exponential(5.0, size=m + 20)
    vs = rng.normal(0, 1, size=m + 20) * 100
    cases.append(record("floats", {
        "x": ("float", xs.tolist()),
        "y": ("float_normalized", ys.tolist()),
        "z": ("float_rescaled:scale=0.5:offset=-1", zs.tolist()),
        "w": ("float_discretized:num_bins=4", ws.tolist()),
        "v": ("float_discretized:num_bins=7:output_mode=int", vs.tolist()),
        "u": ("float_discretized:num_bins=64", xs[::-1].tolist()),
    }, fit_rows=m))

    # Hashed kinds and crosses of lookup, hashed and discretized features (their int indices).
    k = 80
    tags = list(rng.choice(["alpha", "beta", "gamma", "delta", "epsilon", "zeta"], size=k + 8))
    ids = list(rng.randint(-1000, 100000, size=k + 8))
    islands = list(rng.choice(["Biscoe", "Dream", "Torgersen"], size=k)) + ["Nowhere"] * 4 + ["Dream"] * 4
    years = list(rng.choice([2007, 2008, 2009], size=k)) + [2010, 2007, 2008, 2011] * 2
    mass = rng.normal(4200, 800, size=k + 8).tolist()
    cases.append(record("hashed_and_crosses", {
        "tag": ("string_hashed:num_bins=16", tags),
        "id": ("integer_hashed:num_bins=8:output_mode=int", ids),
        "island": ("string_categorical", islands),
        "year": ("integer_categorical:output_mode=int", years),
        "mass": ("float_discretized:num_bins=5", mass),
    }, fit_rows=k, crosses=["island*year:crossing_dim=16", "tag*mass:crossing_dim=8:output_mode=int", "id*island"]))

    # Many equal values: recorded with a stable merge (see the header), Keras's own beside them.
    t = 400
    steps = rng.randint(0, 6, size=t + 10).astype(float).tolist()
    columns = {"steps": ("float_discretized:num_bins=4", steps), "half": ("float_discretized:num_bins=3", [s / 2 for s in steps[::-1]])}
    keras_own = record("ties", columns, fit_rows=t)
    original = discretization.merge_summaries
    discretization.merge_summaries = stable_merge
    try:
        case = record("ties", columns, fit_rows=t)
    finally:
        discretization.merge_summaries = original
    case["keras_unstable_fitted"] = keras_own["fitted"]
    cases.append(case)

    out = {
        "generator": "Tests/Reference/keras_feature_space.py",
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
