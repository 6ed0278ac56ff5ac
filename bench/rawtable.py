"""Case 10, a raw table: a 1,000,000-row CSV with 8 numeric and 6 text columns (5,000, 2,000, 50, 12, 4
and 3 distinct values) and 5 % missing cells, written once by `dlbench gen-table`, turned into a model's
inputs and trained on: the time from the process's start to its first training step, the rows per second
of encoding, and every process's peak RSS. dltrain (`dlcoord --local --standardize`, no other
preprocessing flag) beside Keras (bench/anchors/table_keras.py: FeatureSpace.adapt, then the dataset
mapped through it) and pandas + scikit-learn (bench/anchors/table_sklearn.py: read_csv, a
ColumnTransformer of SimpleImputer, StandardScaler and OneHotEncoder, fitted and applied). Its summary,
report section, and the figures its targets use."""

import math
import sys

from cases import run_in_rotation
from formatting import MISSING, format_number, ratio_text, table_head, table_row
from settings import BENCH, RELEASE, REPO_ANCHORS, ROOT
from summary import median

RAW_TABLE_CASE = 10
ROWS, QUICK_ROWS = 1_000_000, 20_000
TABLE_SEED = 2025
NUMERIC_COLUMNS, TEXT_COLUMNS = 8, 6
BATCH = 256
LAYERS = "16:relu,1:sigmoid"
EPOCHS = 1
TIMEOUT_S = 1800
MB = 1e6
MIB = 1 << 20
# --local holds the rows once as codes (one float32 a cell: a number, or a category's index) with the label,
# expanding each batch to one-hot inputs as it trains; beside them the process, a chunk and the model.
SLACK_MB = 150

VARIANTS = {
    "dltrain-table-local": "dltrain `dlcoord --local --standardize`",
    "keras-table": "Keras `table_keras.py` (FeatureSpace)",
    "sklearn-table": "pandas + scikit-learn `table_sklearn.py` (ColumnTransformer)",
}


def raw_table_rows(quick):
    return QUICK_ROWS if quick else ROWS


def raw_table_csv(rows, run_command):
    """The case's CSV, written by `dlbench gen-table` the first time it is needed."""
    table = BENCH / f"table_{rows}_{TABLE_SEED}.csv"
    if table.exists():
        return table
    print(f"== dlbench gen-table --rows {rows} --seed {TABLE_SEED} --out {table.relative_to(ROOT)}", flush=True)
    completed = run_command([RELEASE / "dlbench", "gen-table", "--rows", rows, "--seed", TABLE_SEED, "--out", table])
    if completed.returncode != 0:
        sys.exit("gen-table failed: " + completed.stderr)
    print("   " + completed.stdout.splitlines()[0], flush=True)
    return table


def coded_bytes(rows):
    """The table as dltrain holds it: one float32 per feature cell (a number, or a category's index) and
    the label."""
    return rows * (NUMERIC_COLUMNS + TEXT_COLUMNS + 1) * 4


def raw_table(runner, table, rows):
    print(f"== {RAW_TABLE_CASE}. raw table ({rows:,} rows)", flush=True)
    argv = ["--data", table, "--label-column", "label", "--standardize", "--layers", LAYERS,
            "--loss", "binary_crossentropy", "--batch-size", BATCH, "--epochs", EPOCHS]
    anchor_argv = ["--csv", table, "--batch-size", BATCH]
    steps = math.ceil(rows / BATCH)
    case = RAW_TABLE_CASE
    run_in_rotation(runner, {
        "local": lambda rep: runner.dlcoord_local(case, "dltrain-table-local", rep, argv, TIMEOUT_S, steps),
        "keras": lambda rep: runner.anchor(case, "keras-table", rep, "table_keras.py", anchor_argv, TIMEOUT_S,
                                           directory=REPO_ANCHORS),
        "sklearn": lambda rep: runner.anchor(case, "sklearn-table", rep, "table_sklearn.py", anchor_argv, TIMEOUT_S,
                                             directory=REPO_ANCHORS),
    }, lambda run: (f"wall {run['wall_s']:.1f} s, first step {first_step_s(run):.2f} s, "
                    f"RSS {run['rss_mib']:.0f} MiB"))


def first_step_s(run):
    """From the process's start to its first training step: dltrain's wall time less its epoch's `seconds`
    (the model file's writing is in it too); an anchor's `first_step_s` (its first encoded batch)."""
    if run["variant"].startswith("dltrain"):
        return run["wall_s"] - run["fit_s"]
    return run["result"]["first_step_s"]


def encode_rows_per_s(run, rows):
    """dltrain: the rows over the time before training (reading, fitting and coding together, so a floor
    on its coding alone); an anchor: its rows over its encoding pass (Keras: the mapping of every batch;
    scikit-learn: `transform` of the whole table)."""
    if run["variant"].startswith("dltrain"):
        return rows / first_step_s(run)
    return run["result"]["encode_rows_per_s"]


def spread(values):
    values = [value for value in values if value is not None]
    return (min(values), max(values)) if values else (None, None)


def summarize_raw_table(records, rows, file_bytes):
    """Medians and ranges over the repetitions of each variant: time to the first step, encoding rows/s,
    peak RSS; and what an anchor says about its output."""
    summary = dict(rows=rows, file_bytes=file_bytes, coded_bytes=coded_bytes(rows))
    for variant in VARIANTS:
        runs = [record for record in records if record["variant"] == variant and record["case"] == RAW_TABLE_CASE]
        if not runs:
            summary[variant] = None
            continue
        first = [first_step_s(run) for run in runs]
        encode = [encode_rows_per_s(run, rows) for run in runs]
        rss = [run["rss_mib"] for run in runs]
        results = [run.get("result") or {} for run in runs]
        summary[variant] = dict(
            n=len(runs), first_step_s=median(first), first_step_range=spread(first),
            encode_rows_per_s=median(encode), encode_range=spread(encode), rss_mib=median(rss),
            rss_range=spread(rss), wall_s=median([run["wall_s"] for run in runs]),
            cpu_s=median([run.get("cpu_s") for run in runs]),
            adapt_s=median([result.get("adapt_s") for result in results]),
            fit_s=median([result.get("fit_s") for result in results]),
            import_s=median([result.get("import_s") for result in results]),
            output_width=results[0].get("output_width"))
    return summary


def local_bound_mb(summary):
    return summary["coded_bytes"] / MB + SLACK_MB


def figure(summary, variant, key):
    run = summary.get(variant) if summary else None
    return run[key] if run else None


def rss_mb(summary, variant):
    rss = figure(summary, variant, "rss_mib")
    return rss * MIB / MB if rss is not None else None


def with_range(value, value_range, digits=2):
    low, high = value_range
    if value is None:
        return MISSING
    return f"{format_number(value, digits)} ({format_number(low, digits)}–{format_number(high, digits)})"


def raw_table_section(summary):
    if not summary:
        return []
    local_first = figure(summary, "dltrain-table-local", "first_step_s")
    lines = [f"## {RAW_TABLE_CASE}. A raw table: from the file to the first training step", "",
             f"`dlbench gen-table --rows {summary['rows']} --seed {TABLE_SEED}`: {summary['rows']:,} rows, "
             f"{NUMERIC_COLUMNS} numeric and {TEXT_COLUMNS} text columns (5,000, 2,000, 50, 12, 4 and 3 distinct "
             "values), 5 % of the feature cells missing (empty, `NA`, `N/A`, `NaN`, `null`, `?`), a 0/1 label; "
             f"{format_number(summary['file_bytes'] / MB)} MB of CSV. Numbers are standardized and text is one-hot "
             "encoded with an out-of-vocabulary index, the same inputs in all three. Time to the first step: from "
             "the process's start to its first encoded batch (dltrain: its wall time less its epoch's `seconds`, "
             f"the model file's writing included; dltrain trains {LAYERS}, batch {BATCH}, {EPOCHS} epoch). "
             f"Keras adapts on and maps batches of {BATCH}. "
             "Encoding: rows per second of the pass that turns raw rows into inputs (Keras: mapping every batch "
             "through the FeatureSpace; scikit-learn: `transform` of the whole table, sparse; dltrain: the rows "
             "over its whole time before training, reading and fitting included). Medians, with the range over "
             "the repetitions; CPU s is the whole process's user and system time. MB = 10^6 bytes.", "",
             *table_head("run", "time to first step s", "× dltrain's", "encoding rows/s", "peak RSS MB", "CPU s",
                         "inputs per row")]
    for variant, label in VARIANTS.items():
        run = summary.get(variant)
        if not run:
            lines.append(table_row(label, "not measured", MISSING, MISSING, MISSING, MISSING, MISSING))
            continue
        low, high = run["rss_range"]
        lines.append(table_row(
            label, with_range(run["first_step_s"], run["first_step_range"]),
            ratio_text(run["first_step_s"], local_first, "x", 1) if not variant.startswith("dltrain") else "1 ×",
            with_range(run["encode_rows_per_s"], run["encode_range"]),
            with_range(run["rss_mib"] * MIB / MB, (low * MIB / MB, high * MIB / MB)), format_number(run["cpu_s"]),
            format_number(run["output_width"])))
    lines += ["", f"dltrain's bound for `--local`: the table as codes, {format_number(summary['coded_bytes'] / MB)} MB "
                  f"({NUMERIC_COLUMNS + TEXT_COLUMNS + 1} float32 a row: a number, or a category's index, and the "
                  f"label), + {SLACK_MB} MB: {format_number(local_bound_mb(summary))} MB. Expanded to one-hot float32 "
                  "inputs the whole table would take rows × inputs × 4 bytes; dltrain expands a batch at a time, "
                  "scikit-learn keeps it sparse, Keras maps a batch at a time.", ""]
    return lines
