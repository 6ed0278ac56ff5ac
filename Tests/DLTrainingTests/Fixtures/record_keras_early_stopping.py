# Records what Keras's own EarlyStopping callback decides on fixed sequences of epoch values, for
# DLTrainingTests.EarlyStoppingTests: keras_early_stopping.json. Run with a Python that has Keras 3
# (bench/run.py --install-anchors makes one in .build/anchors-venv):
#   .build/anchors-venv/bin/python Tests/DLTrainingTests/Fixtures/record_keras_early_stopping.py
# The callback runs on a stand-in model whose "weights" are the epoch number, so the restored
# weights say which epoch they came from. The direction of each metric is Keras's own (the metric
# object's _direction), which is what its "auto" mode uses.
import json
import os
import random

import keras


class StandIn:
    """What EarlyStopping touches of a model: stop_training and the weights."""

    def __init__(self):
        self.stop_training = False
        self.epoch = None
        self.restored = None

    def get_weights(self):
        return [self.epoch]

    def set_weights(self, weights):
        self.restored = weights[0]


DIRECTION = {
    "loss": "down",
    "accuracy": keras.metrics.BinaryAccuracy()._direction,
    "auc": keras.metrics.AUC()._direction,
    "mae": keras.metrics.MeanAbsoluteError()._direction,
    "mse": keras.metrics.MeanSquaredError()._direction,
}


def run(name, monitor, values, patience, min_delta=0.0, restore=False):
    metric = monitor.removeprefix("val_")
    mode = "max" if DIRECTION[metric] == "up" else "min"
    callback = keras.callbacks.EarlyStopping(
        monitor=monitor, patience=patience, min_delta=min_delta, restore_best_weights=restore, mode=mode)
    model = StandIn()
    callback.set_model(model)
    callback.on_train_begin()
    epochs = 0
    for epoch, value in enumerate(values):
        model.epoch = epoch
        callback.on_epoch_end(epoch, {monitor: value})
        epochs += 1
        if model.stop_training:
            break
    callback.on_train_end()
    return {
        "name": name, "monitor": monitor, "values": values, "patience": patience, "min_delta": min_delta,
        "restore_best_weights": restore, "direction": DIRECTION[metric],
        "epochs_run": epochs, "stopped_epoch": callback.stopped_epoch, "best_epoch": callback.best_epoch,
        "restored_epoch": model.restored,
    }


generator = random.Random(7)
noisy = [round(1.0 / (1 + e) + generator.uniform(-0.05, 0.05), 6) for e in range(40)]
climbing = [round(min(0.99, 0.5 + 0.02 * e + generator.uniform(-0.03, 0.03)), 4) for e in range(40)]
cases = [
    run("falls then flattens", "val_loss", [0.9, 0.7, 0.6, 0.6, 0.61, 0.6, 0.59, 0.62, 0.63], patience=2),
    run("falls then flattens, restoring", "val_loss", [0.9, 0.7, 0.6, 0.6, 0.61, 0.6, 0.59, 0.62, 0.63], patience=2, restore=True),
    run("gains smaller than min_delta", "val_loss", [1.0, 0.995, 0.99, 0.985, 0.98, 0.9, 0.899, 0.898], patience=2, min_delta=0.01),
    run("patience 0", "loss", [0.5, 0.6, 0.4], patience=0),
    run("patience 0, worse at once, restoring", "loss", [0.5, 0.6, 0.4], patience=0, restore=True),
    run("accuracy ties are no gain", "val_accuracy", [0.5, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7], patience=3, restore=True),
    run("never stops", "val_loss", [0.5, 0.4, 0.3, 0.2, 0.1], patience=10, restore=True),
    run("noisy loss", "val_loss", noisy, patience=4, min_delta=0.005, restore=True),
    run("noisy auc", "val_auc", climbing, patience=3, restore=True),
    run("mae", "mae", [3.0, 2.5, 2.5, 2.6, 2.4, 2.45, 2.41, 2.5], patience=2, min_delta=0.05),
]
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_early_stopping.json")
with open(path, "w") as file:
    json.dump({"keras": keras.__version__, "cases": cases}, file, indent=1)
print(f"wrote {len(cases)} cases to {path} (Keras {keras.__version__})")
