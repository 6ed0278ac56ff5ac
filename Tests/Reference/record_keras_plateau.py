# Records Keras's ReduceLROnPlateau for DLTrainingTests.ReduceLROnPlateauTests: keras_plateau.json.
# Run with the Python that has Keras 3 and TensorFlow (dltrain's .build/python):
#   .build/python/bin/python Tests/Reference/record_keras_plateau.py
#
# "decisions": Keras's own callback on fixed sequences of epoch values, attached to a compiled
# model whose metrics are built (so `mode="auto"` finds each metric's direction as in fit): the
# rate it leaves after each epoch and the learning_rate it puts in the epoch's logs.
# "runs": short real fits (tiny data, validation_data, shuffle off, so the batches are known) with
# ReduceLROnPlateau (and EarlyStopping before it in one run): the initial weights, the batches, and
# after each epoch its logs (learning_rate included) and the weights.
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
import tensorflow as tf


def compiled(metrics, optimizer):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=metrics)
    return model


def decision(name, monitor, values, lr=0.1, **arguments):
    model = compiled(["accuracy", keras.metrics.AUC(name="auc"), "mae", "mse"], keras.optimizers.SGD(learning_rate=lr))
    # Builds the compiled metrics, as fit has by its first epoch's end.
    model.evaluate(np.zeros((2, 4), "float32"), np.zeros((2, 1), "float32"), verbose=0)
    callback = keras.callbacks.ReduceLROnPlateau(monitor=monitor, **arguments)
    callback.set_model(model)
    callback.on_train_begin()
    rates, logged = [], []
    for epoch, value in enumerate(values):
        logs = {monitor: value}
        callback.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
        rates.append(float(np.float32(model.optimizer.learning_rate.numpy())))
    return {
        "name": name, "monitor": monitor, "values": values, "initial_rate": lr, "arguments": arguments,
        "logged": logged, "rates": rates, "upward": callback.monitor_op == keras.ops.greater,
    }


generator = np.random.default_rng(5)
noisy = [float(round(1.0 / (1 + e) + generator.uniform(-0.05, 0.05), 6)) for e in range(30)]
decisions = [
    decision("defaults on a flat loss", "val_loss", [0.5] * 25),
    decision("patience 2, factor 0.5", "val_loss", [0.9, 0.7, 0.7, 0.71, 0.69, 0.7, 0.7, 0.7, 0.5, 0.6, 0.6], factor=0.5, patience=2),
    decision("cooldown 2", "loss", [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], factor=0.5, patience=1, cooldown=2),
    decision("cooldown with gains", "loss", [0.9, 0.9, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7], factor=0.5, patience=1, cooldown=3),
    decision("min_lr floor", "loss", [1.0] * 12, lr=0.1, factor=0.3, patience=1, min_lr=0.005),
    decision("min_lr above the rate", "loss", [1.0] * 5, lr=0.001, factor=0.5, patience=1, min_lr=0.01),
    decision("gains below min_delta", "val_loss", [1.0, 0.995, 0.99, 0.985, 0.98, 0.9, 0.899, 0.898], factor=0.5, patience=2, min_delta=0.01),
    decision("patience 0", "loss", [0.5, 0.6, 0.4, 0.4], factor=0.5, patience=0),
    decision("val_auc rises (auto is max)", "val_auc", [0.6, 0.7, 0.7, 0.65, 0.8, 0.8, 0.8], factor=0.5, patience=1),
    decision("val_accuracy", "val_accuracy", [0.5, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7], factor=0.5, patience=2),
    decision("mae falls (auto is min)", "mae", [3.0, 2.5, 2.5, 2.6, 2.4, 2.45, 2.41, 2.5], factor=0.5, patience=1, min_delta=0.05),
    decision("mode max on a loss", "loss", [0.5, 0.4, 0.3, 0.6, 0.6], factor=0.5, patience=1, mode="max"),
    decision("float32 tie", "loss", [0.3, 0.30000000001, 0.29999999999, 0.3], factor=0.5, patience=1, min_delta=0.0),
    decision("noisy", "val_loss", noisy, lr=0.01, factor=0.7, patience=2, min_delta=0.002, cooldown=1, min_lr=0.002),
]

# Tiny data: 16 training rows (2 batches of 8), 4 validation rows.
data = np.random.default_rng(11)
x = data.normal(size=(16, 4)).astype("float32")
y = (x[:, :1] + 0.5 * x[:, 1:2] + data.normal(scale=0.8, size=(16, 1)) > 0).astype("float32")
x_val = data.normal(size=(4, 4)).astype("float32")
y_val = (x_val[:, :1] + 0.5 * x_val[:, 1:2] > 0).astype("float32")


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append({
            "logs": {k: float(v) for k, v in logs.items()},
            "weights": [w.tolist() for w in self.model.get_weights()],
            "rate_after": float(np.float32(self.model.optimizer.learning_rate.numpy())),
        })


def run(name, optimizer, epochs, plateau, early_stopping=None):
    model = compiled(["accuracy"], optimizer)
    initial = [w.tolist() for w in model.get_weights()]
    # Before fit: afterwards the config holds the rate ReduceLROnPlateau left.
    config = optimizer.get_config()
    recorder = Recorder()
    callbacks = ([keras.callbacks.EarlyStopping(**early_stopping)] if early_stopping else []) + [
        keras.callbacks.ReduceLROnPlateau(**plateau), recorder]
    model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, validation_data=(x_val, y_val), callbacks=callbacks, verbose=0)
    return {
        "name": name, "optimizer": {"name": type(optimizer).__name__.lower(), "learning_rate": float(config["learning_rate"]),
                                    **({"momentum": config["momentum"]} if "momentum" in config else {})},
        "plateau": plateau, "early_stopping": early_stopping, "epochs": epochs, "batch_size": 8,
        "initial_weights": initial, "epochs_run": recorder.epochs,
    }


runs = [
    run("sgd, val_loss, cooldown, min_lr", keras.optimizers.SGD(learning_rate=0.5), 10,
        {"monitor": "val_loss", "factor": 0.5, "patience": 1, "min_delta": 0.01, "cooldown": 1, "min_lr": 0.05}),
    run("sgd with momentum, early stopping first", keras.optimizers.SGD(learning_rate=0.3, momentum=0.9), 15,
        {"monitor": "val_loss", "factor": 0.2, "patience": 1, "min_delta": 0.01},
        early_stopping={"monitor": "val_loss", "patience": 3}),
]

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_plateau.json")
with open(path, "w") as file:
    json.dump({
        "generator": "Tests/Reference/record_keras_plateau.py", "keras": keras.__version__, "tensorflow": tf.__version__,
        "decisions": decisions,
        "data": {"x": x.tolist(), "y": y.tolist(), "x_val": x_val.tolist(), "y_val": y_val.tolist()},
        "runs": runs,
    }, file)
print(f"wrote {len(decisions)} decisions and {len(runs)} runs to {path} (Keras {keras.__version__})")
for r in runs:
    print(r["name"], [round(e["logs"]["learning_rate"], 6) for e in r["epochs_run"]], [round(e["logs"]["val_loss"], 4) for e in r["epochs_run"]])
for d in decisions:
    print(d["name"], d["upward"], d["rates"])
