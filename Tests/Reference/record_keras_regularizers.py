# Records Keras 3 runs with weight regularization (kernel_regularizer / bias_regularizer: l1, l2,
# l1_l2) for DLTrainingTests.RegularizationParityTests: Tests/DLTrainingTests/Fixtures/keras_regularizers.json.
# Run with the Python that has Keras 3 and TensorFlow (.build/python/bin/python):
#   .build/python/bin/python Tests/Reference/record_keras_regularizers.py
# Each case is a tiny model (3 inputs) on fixed rows: its initial weights; then, step by step with
# train_on_batch, each batch, the loss Keras reports for it (the data loss plus sum(model.losses)) and
# the weights after the step; then, from the same initial weights and a fresh optimizer, fit() for
# two epochs of two batches without shuffling, with validation_data: each epoch's loss and val_loss
# and the final weights.
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np

ROWS = np.random.default_rng(26)
X = ROWS.normal(size=(12, 3)).astype("float32")
Y_BINARY = (X[:, :1] + 0.5 * X[:, 1:2] > 0).astype("float32")
Y_VALUE = (X[:, :1] - 2 * X[:, 2:3] + 0.3).astype("float32")
TRAIN, VALIDATION, BATCH = 8, 4, 4


def regularizer(text):
    """A regularizer from dltrain's text: l1:V, l2:V or l1_l2:l1=V,l2=V."""
    if text is None:
        return None
    name, _, argument = text.partition(":")
    if name == "l1":
        return keras.regularizers.L1(float(argument))
    if name == "l2":
        return keras.regularizers.L2(float(argument))
    factors = dict(pair.split("=") for pair in argument.split(","))
    return keras.regularizers.L1L2(l1=float(factors.get("l1", 0)), l2=float(factors.get("l2", 0)))


def build(case, seed):
    keras.utils.set_random_seed(seed)
    layers = [keras.Input(shape=(3,))]
    for units, activation in case["layers"]:
        layers.append(keras.layers.Dense(
            units, activation=activation, kernel_regularizer=regularizer(case["kernel_regularizer"]),
            bias_regularizer=regularizer(case["bias_regularizer"]),
            bias_initializer=keras.initializers.RandomUniform(-0.1, 0.1, seed=seed)))
    model = keras.Sequential(layers)
    optimizer = keras.optimizers.get({"class_name": case["optimizer"]["name"], "config": {
        k: v for k, v in case["optimizer"].items() if k != "name"}})
    model.compile(optimizer=optimizer, loss=case["loss"])
    return model


def weights(model):
    return [w.tolist() for w in model.get_weights()]


def record(case, seed=5):
    y = Y_BINARY if case["loss"] == "binary_crossentropy" else Y_VALUE
    model = build(case, seed)
    initial = model.get_weights()
    steps = []
    for epoch in range(2):
        for start in range(0, TRAIN, BATCH):
            xb, yb = X[start:start + BATCH], y[start:start + BATCH]
            penalty = float(sum(float(loss) for loss in model.losses))
            loss = model.train_on_batch(xb, yb)
            steps.append({"x": xb.tolist(), "y": yb.tolist(), "loss": float(loss), "penalty_before": penalty,
                          "weights_after": weights(model)})
    fitted = build(case, seed)
    fitted.set_weights(initial)
    history = fitted.fit(
        X[:TRAIN], y[:TRAIN], batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
        validation_data=(X[TRAIN:], y[TRAIN:]))
    return {
        **case, "batch_size": BATCH, "initial_weights": [w.tolist() for w in initial], "steps": steps,
        "validation_x": X[TRAIN:].tolist(), "validation_y": y[TRAIN:].tolist(),
        "fit_history": {key: [float(v) for v in values] for key, values in history.history.items()},
        "fit_weights": weights(fitted),
    }


CASES = [
    {"name": "l2 kernels, sgd", "layers": [[4, "relu"], [1, "sigmoid"]], "loss": "binary_crossentropy",
     "optimizer": {"name": "SGD", "learning_rate": 0.1}, "kernel_regularizer": "l2:0.01", "bias_regularizer": None},
    {"name": "l1 kernels, sgd", "layers": [[4, "tanh"], [1, "linear"]], "loss": "mean_squared_error",
     "optimizer": {"name": "SGD", "learning_rate": 0.05}, "kernel_regularizer": "l1:0.02", "bias_regularizer": None},
    {"name": "l1_l2 kernels and l2 biases, adam", "layers": [[5, "relu"], [1, "sigmoid"]], "loss": "binary_crossentropy",
     "optimizer": {"name": "Adam", "learning_rate": 0.01}, "kernel_regularizer": "l1_l2:l1=0.001,l2=0.01",
     "bias_regularizer": "l2:0.05"},
    {"name": "l1 biases only, sgd", "layers": [[4, "relu"], [1, "linear"]], "loss": "mean_squared_error",
     "optimizer": {"name": "SGD", "learning_rate": 0.05}, "kernel_regularizer": None, "bias_regularizer": "l1:0.03"},
]

if __name__ == "__main__":
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "DLTrainingTests", "Fixtures", "keras_regularizers.json")
    cases = [record(case) for case in CASES]
    with open(os.path.normpath(path), "w") as file:
        json.dump({"keras": keras.__version__, "cases": cases}, file, indent=None, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.normpath(path)} (Keras {keras.__version__})")
