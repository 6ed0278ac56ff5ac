#!/usr/bin/env python3
"""The seed job in Keras with the options of Keras's `fit` that tabular models add: class weights, a
Dropout layer and a learning-rate schedule. The same model, data and timing as ../shared/anchors/
keras_seed.py (17 -> 30 relu -> 1 sigmoid, mean squared error, Adam, 100 epochs of batch 10 on the
thoracic data), with, on request:

    --class-weight balanced     fit(class_weight=...) with scikit-learn's compute_class_weight("balanced"),
                                as Keras users compute it (dltrain: --class-weight balanced)
    --dropout RATE              a Dropout(RATE) after the hidden layer (dltrain: --layers 30:relu,dropout:RATE,1:sigmoid)
    --cosine-decay-steps N      Adam(learning_rate=CosineDecay(0.001, decay_steps=N)), counted in optimizer
                                steps (dltrain: --lr-schedule cosine_decay:decay_steps=N)

    fit_keras_seed.py [--class-weight balanced] [--dropout 0.3] [--cosine-decay-steps 4700] [--csv FILE]

Prints `RESULT {json}` with the same timings as keras_seed.py (fit_s, import_s) and the last epoch's
loss and accuracy."""

import time

STARTED = time.perf_counter()

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SEED_CSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dataset", "ThoraricSurgery.csv")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", default=SEED_CSV)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument("--class-weight", choices=["balanced"], default=None)
    parser.add_argument("--dropout", type=float, default=None, help="a Dropout(RATE) after the hidden layer")
    parser.add_argument("--cosine-decay-steps", type=int, default=None,
                        help="CosineDecay(0.001, decay_steps=N) as Adam's learning rate")
    args = parser.parse_args()

    import numpy as np
    import keras
    from sklearn.utils.class_weight import compute_class_weight
    imported = time.perf_counter()

    keras.utils.set_random_seed(args.seed)
    data = np.loadtxt(args.csv, delimiter=",")
    features, label = data[:, 0:17], data[:, 17]
    layers = [keras.Input(shape=(17,)), keras.layers.Dense(30, activation="relu")]
    if args.dropout is not None:
        layers.append(keras.layers.Dropout(args.dropout))
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    model = keras.Sequential(layers)
    learning_rate = 0.001
    if args.cosine_decay_steps is not None:
        learning_rate = keras.optimizers.schedules.CosineDecay(0.001, decay_steps=args.cosine_decay_steps)
    model.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  metrics=["accuracy"])
    class_weight = None
    if args.class_weight == "balanced":
        classes = np.unique(label)
        weights = compute_class_weight("balanced", classes=classes, y=label)
        class_weight = {int(cls): float(weight) for cls, weight in zip(classes, weights)}

    fit_started = time.perf_counter()
    history = model.fit(features, label, epochs=args.epochs, batch_size=args.batch_size, verbose=args.verbose,
                        class_weight=class_weight)
    fit_ended = time.perf_counter()
    result = dict(impl="keras", epochs=args.epochs, batch_size=args.batch_size, class_weight=class_weight,
                  dropout=args.dropout, cosine_decay_steps=args.cosine_decay_steps,
                  fit_s=round(fit_ended - fit_started, 4), import_s=round(imported - STARTED, 4),
                  total_in_process_s=round(fit_ended - STARTED, 4),
                  final_loss=float(history.history["loss"][-1]), final_acc=float(history.history["accuracy"][-1]),
                  final_learning_rate=float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)),
                  keras=keras.__version__, numpy=np.__version__)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
