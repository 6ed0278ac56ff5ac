#!/usr/bin/env python3
"""The raw-table benchmark in Keras: a CSV with numbers, text and gaps turned into a model's inputs by
keras.utils.FeatureSpace, as Keras's structured-data example does it (pandas.read_csv, a tf.data
Dataset of the columns, FeatureSpace.adapt, then the dataset mapped through the FeatureSpace).

    table_keras.py --csv FILE [--batch-size 256]

Numeric columns are `float_normalized`, text columns `string_categorical` (one-hot, one
out-of-vocabulary index), in the concatenated output: what dltrain does with `--standardize`.
FeatureSpace cannot take a gap, so the user fills them first, as here: a number with its column's
mean, a category with "" (which then has its own place in the vocabulary; dltrain maps a missing
category to the out-of-vocabulary index, one output fewer per column, the same work).

Prints `RESULT {json}`: every phase's seconds since the process started, the time to the first
encoded batch (what the first training step would wait for), the rows per second of mapping the
whole table (the first batch included), and the peak RSS."""

import time

STARTED = time.perf_counter()

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from table_common import cpu_seconds, peak_rss_mib, print_result, ProcessClock, read_table  # noqa: E402

since_start = ProcessClock(STARTED)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", required=True)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()

    import numpy as np
    import pandas as pd
    import tensorflow as tf
    import keras
    imported = since_start()

    frame, label, numeric, text = read_table(pd, args.csv)
    read = since_start()
    print(f"read {len(frame)} rows at {read:.1f} s", flush=True)
    for name in numeric:
        frame[name] = frame[name].fillna(frame[name].mean()).astype("float32")
    for name in text:
        frame[name] = frame[name].fillna("")
    columns = {name: frame[name].to_numpy(dtype=np.float32 if name in numeric else object) for name in frame.columns}
    # Text classes as their indices in sorted order, as dltrain numbers them.
    labels = (label if pd.api.types.is_numeric_dtype(label) else label.astype("category").cat.codes).to_numpy(np.float32)
    del frame
    dataset = tf.data.Dataset.from_tensor_slices((columns, labels)).batch(args.batch_size)
    filled = since_start()
    print(f"gaps filled, dataset made at {filled:.1f} s; adapting", flush=True)

    FeatureSpace = keras.utils.FeatureSpace
    features = {name: FeatureSpace.float_normalized() for name in numeric}
    features.update({name: FeatureSpace.string_categorical(num_oov_indices=1, output_mode="one_hot") for name in text})
    feature_space = FeatureSpace(features=features, output_mode="concat")
    feature_space.adapt(dataset.map(lambda x, _: x))
    adapted = since_start()
    print(f"adapted at {adapted:.1f} s; mapping", flush=True)

    encoded = dataset.map(lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    encoded = encoded.prefetch(tf.data.AUTOTUNE)
    batches = iter(encoded)
    inputs, _ = next(batches)
    first_batch = since_start()
    rows, width = int(inputs.shape[0]), int(inputs.shape[1])
    for inputs, _ in batches:
        rows += int(inputs.shape[0])
    mapped = since_start()

    print(f"{rows} rows, {len(numeric)} numeric + {len(text)} text columns -> {width} inputs; first batch after "
          f"{first_batch:.2f} s (adapt {adapted - filled:.2f} s), mapping {rows / (mapped - adapted):,.0f} rows/s",
          flush=True)
    print_result(dict(case="table-keras", rows=rows, numeric_columns=len(numeric), text_columns=len(text),
                      output_width=width, batch_size=args.batch_size, startup_s=round(since_start.startup, 3),
                      import_s=round(imported, 3), read_s=round(read - imported, 3),
                      fill_s=round(filled - read, 3), adapt_s=round(adapted - filled, 3),
                      first_step_s=round(first_batch, 3), encode_s=round(mapped - adapted, 3),
                      encode_rows_per_s=round(rows / (mapped - adapted)), total_s=round(mapped, 3),
                      rss_mib=round(peak_rss_mib(), 1), cpu_s=round(cpu_seconds(), 2), tensorflow=tf.__version__, keras=keras.__version__,
                      pandas=pd.__version__))


if __name__ == "__main__":
    main()
