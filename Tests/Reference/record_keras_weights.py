# Records Keras 3's class and sample weights, for DLCoreTests.WeightedKerasParityTests: the
# weights_*.json files in Tests/DLCoreTests/Fixtures, in the format of that folder's README plus
# each step's `sample_weight` (the weight of each row of the batch: the class weights turned into
# sample weights by Keras's own data_adapter_utils.class_weight_to_sample_weights, or the sample
# weights given) and, with a validation split, `validation` (its x, y and sample_weight).
#
#   .build/python/bin/python Tests/Reference/record_keras_weights.py
#
# Each case trains a few steps by hand (Model.compute_loss with sample_weight, as Model.fit's
# train_step calls it), then runs model.fit for one epoch from the same initial weights with
# class_weight or sample_weight (and validation_split), shuffle=False: its History is the epoch
# report, which shows that the loss is weighted (sum of w * loss over the rows, divided by the rows)
# and the compiled metrics are not.
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
import tensorflow as tf
from keras.src.trainers.data_adapters import data_adapter_utils

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "DLCoreTests", "Fixtures")


def weights_of(model):
    out = []
    for layer in model.layers:
        kernel, bias = layer.get_weights()
        out += [kernel.tolist(), bias.tolist()]
    return out


def build(spec, optimizer):
    model = keras.Sequential([keras.Input((spec["input_dim"],))] + [
        keras.layers.Dense(units, activation=activation) for units, activation in spec["layers"]])
    model.compile(optimizer=optimizer, loss=spec["loss"], metrics=spec["metrics"])
    return model


def record(name, spec, optimizer_config, x, y, batch_size, class_weight=None, sample_weight=None, validation_split=0.0):
    keras.utils.set_random_seed(spec["seed"])
    make_optimizer = lambda: keras.optimizers.get(dict(
        class_name=optimizer_config["name"],
        config={k: v for k, v in optimizer_config.items() if k != "name"}))
    model = build(spec, make_optimizer())
    initial = model.get_weights()
    n = len(x)
    split_at = int(n * (1 - validation_split)) if validation_split else n
    x_train, y_train = x[:split_at], y[:split_at]
    if class_weight is not None:
        w_train = data_adapter_utils.class_weight_to_sample_weights(y_train, class_weight)
    elif sample_weight is not None:
        w_train = sample_weight[:split_at]
    else:
        w_train = np.ones(split_at, dtype="float32")
    optimizer = make_optimizer()
    optimizer.build(model.trainable_variables)
    steps = []
    for start in range(0, split_at, batch_size):
        xb, yb, wb = x_train[start:start + batch_size], y_train[start:start + batch_size], w_train[start:start + batch_size]
        with tf.GradientTape() as tape:
            loss = model.compute_loss(x=xb, y=yb, y_pred=model(xb, training=True), sample_weight=wb)
        gradients = tape.gradient(loss, model.trainable_variables)
        step = {"x": xb.tolist(), "y": yb.tolist(), "sample_weight": np.asarray(wb, dtype="float32").tolist(),
                "loss": float(loss)}
        if not steps:
            step["gradients"] = [g.numpy().tolist() for g in gradients]
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        step["weights_after"] = weights_of(model)
        steps.append(step)

    model.set_weights(initial)
    fit_model = build(spec, make_optimizer())
    fit_model.set_weights(initial)
    history = fit_model.fit(
        x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0, class_weight=class_weight,
        sample_weight=sample_weight, validation_split=validation_split)
    model.set_weights(initial)
    reference = {
        "spec": spec, "batch_size": batch_size,
        "initial_weights": weights_of(model),
        "steps": steps,
        "fit_epoch_report": {k: float(v[0]) for k, v in history.history.items()},
        "fit_epoch_weights": weights_of(fit_model),
        "class_weight": {str(k): v for k, v in class_weight.items()} if class_weight else None,
    }
    if validation_split:
        reference["validation"] = {
            "x": x[split_at:].tolist(), "y": y[split_at:].tolist(),
            "sample_weight": (sample_weight[split_at:] if sample_weight is not None else np.ones(n - split_at)).tolist()}
    spec["optimizer"] = optimizer_config
    path = os.path.join(FIXTURES, name + ".json")
    with open(path, "w") as file:
        json.dump(reference, file)
    print(f"{name}: {len(steps)} steps, report {reference['fit_epoch_report']}")


rng = np.random.default_rng(26)
x = rng.normal(size=(32, 6)).astype("float32")
y = (x[:, :1] + 0.5 * x[:, 1:2] > 0.8).astype("float32")
record("weights_class_bce_adam",
       {"input_dim": 6, "layers": [[5, "relu"], [1, "sigmoid"]], "loss": "binary_crossentropy",
        "metrics": ["accuracy", "auc"], "seed": 5},
       {"name": "adam", "learning_rate": 0.01}, x, y, 8, class_weight={0: 1.0, 1: 3.5})

x3 = rng.normal(size=(30, 4)).astype("float32")
classes = np.argmax(x3[:, :3] + 0.3 * rng.normal(size=(30, 3)), axis=1)
record("weights_class_sparse_softmax_sgd",
       {"input_dim": 4, "layers": [[6, "tanh"], [3, "softmax"]], "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"], "seed": 6},
       {"name": "sgd", "learning_rate": 0.1, "momentum": 0.9}, x3, classes.reshape(-1, 1).astype("float32"), 10,
       class_weight={0: 0.5, 2: 2.0})
record("weights_class_onehot_softmax_rmsprop",
       {"input_dim": 4, "layers": [[6, "relu"], [3, "softmax"]], "loss": "categorical_crossentropy",
        "metrics": ["accuracy"], "seed": 7},
       {"name": "rmsprop", "learning_rate": 0.01}, x3, np.eye(3, dtype="float32")[classes], 10,
       class_weight={0: 2.0, 1: 0.25, 2: 1.0})

xs = rng.normal(size=(40, 5)).astype("float32")
ys = (xs[:, :1] - xs[:, 2:3] > 0.3).astype("float32")
ws = rng.uniform(0, 2, size=40).astype("float32")
ws[[3, 17, 33]] = 0
record("weights_sample_mse_validation",
       {"input_dim": 5, "layers": [[4, "relu"], [1, "sigmoid"]], "loss": "mean_squared_error",
        "metrics": ["accuracy", "mae"], "seed": 8},
       {"name": "adam", "learning_rate": 0.02}, xs, ys, 8, sample_weight=ws, validation_split=0.25)
record("weights_class_mse_validation",
       {"input_dim": 5, "layers": [[4, "relu"], [1, "sigmoid"]], "loss": "mean_squared_error",
        "metrics": ["accuracy"], "seed": 9},
       {"name": "adam", "learning_rate": 0.02}, xs, ys, 8, class_weight={0: 0.6, 1: 2.5}, validation_split=0.25)
