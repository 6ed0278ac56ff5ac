#!/usr/bin/env python3
"""Keras reference numbers for dataset/breast_cancer.csv (UCI WDBC, 569 rows).

What it does, for each seed:
  * loads the CSV with pandas; features = the 30 numeric columns, label =
    `diagnosis` mapped through the sorted class names (B=0, M=1);
  * standardizes the features with the mean and population std (ddof=0) of
    the TRAINING rows only, i.e. the first floor(569 * 0.8) = 455 rows, which
    is exactly the part Keras keeps for training under validation_split=0.2
    (Keras takes the LAST 20% as validation, before any shuffling); a zero
    std is treated as 1;
  * keras.utils.set_random_seed(seed), then
    Sequential([Input((30,)), Dense(16, relu), Dense(1, sigmoid)]) (with
    --dropout RATE, a Dropout(RATE) after Dense(16, relu)),
    loss binary_crossentropy, optimizer "adam" (defaults), metrics ["accuracy"],
    fit(X, y, epochs, batch_size=10, validation_split=0.2, shuffle=True)
    on the un-split standardized arrays, so Keras itself does the split.

Writes a JSON with the per-seed final accuracy/loss/val_accuracy/val_loss
(and their per-epoch history), min/median/max of the finals, and versions.

Note: Keras' `loss` and `accuracy` in the history are averages over the
batches of the epoch (the weights change during it); `val_loss` and
`val_accuracy` are computed on the validation rows with the end-of-epoch
weights.

Usage:
  python keras_breast_cancer.py --seeds 1-10 --epochs 50 --out keras_breast_cancer.json
  python keras_breast_cancer.py --seeds 1-20 --dropout 0.3 --out keras_breast_cancer_dropout.json
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CSV = os.path.normpath(os.path.join(HERE, "..", "..", "dataset", "breast_cancer.csv"))

VALIDATION_SPLIT = 0.2
BATCH_SIZE = 10
HIDDEN = 16
METRICS = ("accuracy", "loss", "val_accuracy", "val_loss")


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            seeds.extend(range(int(lo), int(hi) + 1))
        else:
            seeds.append(int(part))
    if not seeds:
        raise argparse.ArgumentTypeError("no seeds given")
    return seeds


def load(csv_path):
    df = pd.read_csv(csv_path)
    label_col = "diagnosis"
    feature_cols = [c for c in df.columns if c != label_col]
    assert len(feature_cols) == 30, feature_cols
    classes = sorted(df[label_col].astype(str).unique())  # ['B', 'M']
    index = {name: i for i, name in enumerate(classes)}
    x = df[feature_cols].to_numpy(dtype=np.float64)
    y = df[label_col].astype(str).map(index).to_numpy(dtype=np.float32)
    return x, y, feature_cols, classes


def standardize(x, n_train):
    mean = x[:n_train].mean(axis=0)
    std = x[:n_train].std(axis=0, ddof=0)
    std = np.where(std == 0, 1.0, std)
    return ((x - mean) / std).astype(np.float32), mean, std


def summary(values):
    return {
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=parse_seeds, default=parse_seeds("1-10"),
                    help="seeds, e.g. '1-10' or '1,2,5' (default 1-10)")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--out", default=None, help="JSON file to write (default: stdout)")
    ap.add_argument("--csv", default=DEFAULT_CSV)
    ap.add_argument("--dropout", type=float, default=None,
                    help="the rate of a Dropout layer after the hidden layer (default: none)")
    args = ap.parse_args()

    import tensorflow as tf
    import keras

    x_raw, y, feature_cols, classes = load(args.csv)
    n = len(x_raw)
    split_at = int(np.floor(n * (1.0 - VALIDATION_SPLIT)))  # Keras' own rule
    x, mean, std = standardize(x_raw, split_at)

    runs = []
    t_all = time.perf_counter()
    for seed in args.seeds:
        t0 = time.perf_counter()
        keras.utils.set_random_seed(seed)
        dropout = [keras.layers.Dropout(args.dropout)] if args.dropout is not None else []
        model = keras.Sequential([
            keras.Input(shape=(x.shape[1],)),
            keras.layers.Dense(HIDDEN, activation="relu"),
            *dropout,
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        hist = model.fit(x, y, epochs=args.epochs, batch_size=BATCH_SIZE,
                         validation_split=VALIDATION_SPLIT, shuffle=True, verbose=0)
        h = {k: [float(v) for v in hist.history[k]] for k in METRICS}
        run = {"seed": seed}
        run.update({k: h[k][-1] for k in METRICS})
        run["seconds"] = round(time.perf_counter() - t0, 3)
        run["history"] = h
        runs.append(run)
        print(f"seed {seed:3d}: " + "  ".join(f"{k}={run[k]:.6f}" for k in METRICS)
              + f"  ({run['seconds']:.1f}s)", file=sys.stderr, flush=True)
        keras.backend.clear_session()
    total = time.perf_counter() - t_all

    result = {
        "dataset": os.path.basename(args.csv),
        "rows": n,
        "features": len(feature_cols),
        "classes": {name: i for i, name in enumerate(classes)},
        "train_rows": split_at,
        "validation_rows": n - split_at,
        "config": {
            "model": "Sequential([Input((30,)), Dense(16, relu), "
                     + (f"Dropout({args.dropout}), " if args.dropout is not None else "") + "Dense(1, sigmoid)])",
            "loss": "binary_crossentropy",
            "optimizer": "adam (defaults)",
            "metrics": ["accuracy"],
            "epochs": args.epochs,
            "batch_size": BATCH_SIZE,
            "validation_split": VALIDATION_SPLIT,
            "shuffle": True,
            "standardization": "z-score with mean and population std (ddof=0) of the first "
                               f"{split_at} rows (the training part); zero std -> 1",
            "seeding": "keras.utils.set_random_seed(seed) before building each model",
        },
        "seeds": list(args.seeds),
        "per_seed": runs,
        "summary": {k: summary([r[k] for r in runs]) for k in METRICS},
        "versions": {
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "python": platform.python_version(),
        },
        "seconds_total": round(total, 3),
    }
    text = json.dumps(result, indent=2) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    s = result["summary"]
    print("median val_accuracy %.6f (min %.6f)  median val_loss %.6f (max %.6f)  total %.1fs" % (
        s["val_accuracy"]["median"], s["val_accuracy"]["min"],
        s["val_loss"]["median"], s["val_loss"]["max"], total), file=sys.stderr)


if __name__ == "__main__":
    main()
