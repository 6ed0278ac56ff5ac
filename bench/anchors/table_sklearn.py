#!/usr/bin/env python3
"""The raw-table benchmark in pandas and scikit-learn: a CSV with numbers, text and gaps turned into a
model's inputs as a scikit-learn user does it: pandas.read_csv, then a ColumnTransformer fitted and
applied to the whole table (numbers: SimpleImputer(mean) then StandardScaler; text: SimpleImputer
(a constant) then OneHotEncoder(handle_unknown="ignore")), then the first batch made dense for a step.

    table_sklearn.py --csv FILE [--batch-size 256]

The one-hot columns stay sparse (scikit-learn's default here), so the whole encoded table fits in
memory; a dense one would be rows x (numeric + every category) float32.

Prints `RESULT {json}`: every phase's seconds since the process started, the time to the first
dense batch (what the first training step would wait for), the rows per second of `transform` over
the whole table, and the peak RSS."""

import time

STARTED = time.perf_counter()

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from table_common import cpu_seconds, peak_rss_mib, print_result, ProcessClock, read_table  # noqa: E402

since_start = ProcessClock(STARTED)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", required=True)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()

    import numpy as np
    import pandas as pd
    import sklearn
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    imported = since_start()

    frame, label, numeric, text = read_table(pd, args.csv)
    read = since_start()
    transformer = ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), numeric),
        ("text", make_pipeline(SimpleImputer(strategy="constant", fill_value="[missing]"),
                               OneHotEncoder(handle_unknown="ignore", dtype=np.float32)), text),
    ])
    transformer.fit(frame)
    fitted = since_start()
    inputs = transformer.transform(frame)
    transformed = since_start()
    batch = inputs[:args.batch_size]
    batch = (batch.toarray() if hasattr(batch, "toarray") else np.asarray(batch)).astype(np.float32)
    first_batch = since_start()
    rows, width = inputs.shape

    print(f"{rows} rows, {len(numeric)} numeric + {len(text)} text columns -> {width} inputs "
          f"({type(inputs).__name__}); first batch after {first_batch:.2f} s (fit {fitted - read:.2f} s), "
          f"transform {rows / (transformed - fitted):,.0f} rows/s", flush=True)
    print_result(dict(case="table-sklearn", rows=rows, numeric_columns=len(numeric), text_columns=len(text),
                      output_width=width, sparse=hasattr(inputs, "toarray"), batch_size=args.batch_size,
                      startup_s=round(since_start.startup, 3), import_s=round(imported, 3), read_s=round(read - imported, 3),
                      fit_s=round(fitted - read, 3), transform_s=round(transformed - fitted, 3),
                      first_step_s=round(first_batch, 3), encode_rows_per_s=round(rows / (transformed - fitted)),
                      total_s=round(first_batch, 3), rss_mib=round(peak_rss_mib(), 1), cpu_s=round(cpu_seconds(), 2),
                      sklearn=sklearn.__version__, pandas=pd.__version__))


if __name__ == "__main__":
    main()
