"""Records Keras's optimizers, clipping, weight decay, EMA and learning-rate schedules, for
KerasOptimizerParityTests to replay step by step.

Writes into Tests/DLCoreTests/Fixtures/:
  keras_optimizers.json  one tiny model (4 -> 3 relu -> 1 sigmoid, mean squared error), its initial
                         weights and 5 batches of 8 rows; per case the optimizer (its Keras name and
                         arguments, and the schedule in dltrain's text form), the learning rate
                         Keras used at each step, the weights after each step (model.fit,
                         shuffle=False, one epoch) and the weights fit ends with (use_ema replaces
                         them with the moving averages).
  keras_schedules.json   per schedule (dltrain's text form), Keras's rate at steps 0..40.

Run with the project's Python (keras 3 on TensorFlow):
    .build/python/bin/python Tests/Reference/record_keras_optimizers.py
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "DLCoreTests", "Fixtures")

# (case name, optimizer name, arguments, schedule text or None)
CASES = [
    ("adamw_defaults", "adamw", {"learning_rate": 0.05}, None),
    ("adamw_amsgrad", "adamw", {"learning_rate": 0.05, "weight_decay": 0.1, "amsgrad": True}, None),
    ("adam_amsgrad", "adam", {"learning_rate": 0.05, "amsgrad": True}, None),
    ("adam_weight_decay", "adam", {"learning_rate": 0.05, "weight_decay": 0.2}, None),
    ("nadam", "nadam", {"learning_rate": 0.05}, None),
    ("adamax", "adamax", {"learning_rate": 0.05, "beta_2": 0.99}, None),
    ("adadelta", "adadelta", {"learning_rate": 1.0}, None),
    ("ftrl_defaults", "ftrl", {"learning_rate": 0.1}, None),
    ("ftrl_regularized", "ftrl", {
        "learning_rate": 0.1, "learning_rate_power": -0.7, "initial_accumulator_value": 0.2,
        "l1_regularization_strength": 0.001, "l2_regularization_strength": 0.01,
        "l2_shrinkage_regularization_strength": 0.02, "beta": 0.3}, None),
    ("sgd_clipnorm", "sgd", {"learning_rate": 0.5, "momentum": 0.9, "clipnorm": 0.02}, None),
    ("sgd_clipvalue", "sgd", {"learning_rate": 0.5, "momentum": 0.5, "clipvalue": 0.01}, None),
    ("rmsprop_global_clipnorm", "rmsprop", {"learning_rate": 0.01, "global_clipnorm": 0.03}, None),
    ("adam_ema", "adam", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.9}, None),
    ("sgd_ema_overwrite", "sgd", {"learning_rate": 0.5, "use_ema": True, "ema_overwrite_frequency": 2}, None),
    ("adagrad_weight_decay", "adagrad", {"learning_rate": 0.1, "weight_decay": 0.05}, None),
    ("sgd_cosine_warmup", "sgd", {"learning_rate": 0.1},
     "cosine_decay:decay_steps=3,warmup_target=0.8,warmup_steps=2"),
    ("adamw_exponential", "adamw", {"learning_rate": 0.05, "clipnorm": 0.05},
     "exponential_decay:decay_steps=2,decay_rate=0.5,staircase=true"),
]

SCHEDULES = [
    "exponential_decay:initial_learning_rate=0.1,decay_steps=7,decay_rate=0.9",
    "exponential_decay:initial_learning_rate=0.1,decay_steps=5,decay_rate=0.5,staircase=true",
    "inverse_time_decay:initial_learning_rate=0.1,decay_steps=3,decay_rate=0.5",
    "inverse_time_decay:initial_learning_rate=0.1,decay_steps=4,decay_rate=2,staircase=true",
    "piecewise_constant_decay:boundaries=5/12/30,values=0.1/0.05/0.01/0.001",
    "polynomial_decay:initial_learning_rate=0.1,decay_steps=25",
    "polynomial_decay:initial_learning_rate=0.1,decay_steps=9,end_learning_rate=0.01,power=0.5,cycle=true",
    "cosine_decay:initial_learning_rate=0.1,decay_steps=30",
    "cosine_decay:initial_learning_rate=0.1,decay_steps=20,alpha=0.1,warmup_target=0.5,warmup_steps=10",
    "cosine_decay_restarts:initial_learning_rate=0.1,first_decay_steps=4",
    "cosine_decay_restarts:initial_learning_rate=0.1,first_decay_steps=3,t_mul=1,m_mul=0.8,alpha=0.05",
    "cosine_decay_restarts:initial_learning_rate=0.1,first_decay_steps=2.5,t_mul=1.5,m_mul=0.9",
]

CLASSES = {
    "exponential_decay": "ExponentialDecay", "inverse_time_decay": "InverseTimeDecay",
    "piecewise_constant_decay": "PiecewiseConstantDecay", "polynomial_decay": "PolynomialDecay",
    "cosine_decay": "CosineDecay", "cosine_decay_restarts": "CosineDecayRestarts",
}


def schedule(text, initial_learning_rate=None):
    """A Keras schedule from dltrain's text form (NAME:ARG=VALUE,..., lists with /)."""
    name, _, rest = text.partition(":")
    arguments = {}
    if initial_learning_rate is not None and name != "piecewise_constant_decay":
        arguments["initial_learning_rate"] = initial_learning_rate
    for item in rest.split(","):
        key, value = item.split("=")
        if "/" in value:
            items = value.split("/")
            arguments[key] = [int(v) for v in items] if key == "boundaries" else [float(v) for v in items]
        elif value in ("true", "false"):
            arguments[key] = value == "true"
        else:
            number = float(value)
            arguments[key] = int(number) if number.is_integer() and key.endswith("steps") else number
    return getattr(keras.optimizers.schedules, CLASSES[name])(**arguments)


def optimizer(name, arguments, schedule_text):
    arguments = dict(arguments)
    if schedule_text is not None:
        arguments["learning_rate"] = schedule(schedule_text, arguments["learning_rate"])
    classes = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad",
               "nadam": "Nadam", "adamax": "Adamax", "adadelta": "Adadelta", "ftrl": "Ftrl"}
    return getattr(keras.optimizers, classes[name])(**arguments)


def weights_of(model):
    return [w.tolist() for w in model.get_weights()]


def main():
    rng = np.random.default_rng(26)
    batch, steps = 8, 5
    x = rng.normal(size=(batch * steps, 4)).astype("float32")
    y = (rng.random(size=(batch * steps, 1)) < 0.4).astype("float32")
    keras.utils.set_random_seed(26)
    reference = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "relu"), keras.layers.Dense(1, "sigmoid")])
    initial = reference.get_weights()

    cases = []
    for name, optimizer_name, arguments, schedule_text in CASES:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "relu"), keras.layers.Dense(1, "sigmoid")])
        model.set_weights(initial)
        model.compile(optimizer=optimizer(optimizer_name, arguments, schedule_text), loss="mean_squared_error",
                      jit_compile=False)
        rates, after = [], []

        class Record(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                rates.append(float(self.model.optimizer.learning_rate))

            def on_train_batch_end(self, batch, logs=None):
                after.append(weights_of(self.model))

        model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0, callbacks=[Record()])
        cases.append({
            "name": name, "optimizer": optimizer_name,
            "arguments": {k: (1.0 if v is True else 0.0 if v is False else float(v)) for k, v in arguments.items()},
            "schedule": schedule_text, "learning_rates": rates, "weights_after": after,
            "final_weights": weights_of(model),
        })
        print(name, rates[-1])

    with open(os.path.join(FIXTURES, "keras_optimizers.json"), "w") as file:
        json.dump({
            "keras_version": keras.__version__, "layers": [[3, "relu"], [1, "sigmoid"]], "input_dim": 4,
            "loss": "mean_squared_error", "batch_size": batch,
            "initial_weights": [w.tolist() for w in initial],
            "batches": [{"x": x[i * batch:(i + 1) * batch].tolist(), "y": y[i * batch:(i + 1) * batch].tolist()}
                        for i in range(steps)],
            "cases": cases,
        }, file, separators=(",", ":"))

    import tensorflow as tf
    rates = []
    for text in SCHEDULES:
        keras_schedule = schedule(text)
        rates.append({"schedule": text, "rates": [
            float(keras_schedule(tf.constant(step, dtype=tf.int64))) for step in range(41)]})
    with open(os.path.join(FIXTURES, "keras_schedules.json"), "w") as file:
        json.dump({"keras_version": keras.__version__, "schedules": rates}, file, separators=(",", ":"))


if __name__ == "__main__":
    main()
