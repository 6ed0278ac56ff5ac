"""Case 9, a large file: the large job's model for one epoch on a 2,000,000-row synthetic CSV (1.2 GB),
to measure every process's peak memory against the size of the data as float32: `dlcoord --local`, and
`dlcoord --workers 2` with two hand-started workers (its coordinator streams the file to them and holds
none of it), beside PyTorch (`big_torch.py`, which reads the whole table in every process: one process,
and DDP with two). Also the time before training (the process's wall time less its training time) and
samples per second, since streaming must not cost speed."""

import math

from cases import run_in_rotation
from formatting import MISSING, format_number, table_head, table_row
from settings import LARGE_BATCH, LARGE_FEATURES, LARGE_LAYERS
from summary import median

LARGE_FILE_CASE = 9
LARGE_FILE_ROWS = 2_000_000
QUICK_LARGE_FILE_ROWS = 200_000
EPOCHS = 1
TIMEOUT_S = 1800
MB = 1e6
MIB = 1 << 20
# The bounds the processes are held to: a coordinator whose memory does not grow with the file, workers
# and a single process that hold the rows once, as float32, with a little beside them.
COORDINATOR_BOUND_MB = 300
WORKER_FACTOR, LOCAL_FACTOR, SLACK_MB = 1.3, 1.25, 100

VARIANTS = {
    "dltrain-file-local": "dltrain `--local` (default threads)",
    "dltrain-file-w2": "dltrain `--workers 2`, hand-started (every process `--threads 1`)",
    "torch-file": "PyTorch `big_torch.py` (default threads)",
    "torch-file-ddp2": "PyTorch DDP `big_torch.py --world 2 --threads 1`",
}


def large_file_rows(quick):
    return QUICK_LARGE_FILE_ROWS if quick else LARGE_FILE_ROWS


def float32_bytes(rows):
    """The data as float32: every feature and the label, 4 bytes each."""
    return rows * (LARGE_FEATURES + 1) * 4


def large_file(runner, synth, rows):
    print(f"== {LARGE_FILE_CASE}. large file ({rows:,} rows)", flush=True)
    argv = ["--data", synth, "--no-header", "--layers", LARGE_LAYERS, "--loss", "binary_crossentropy",
            "--batch-size", LARGE_BATCH, "--epochs", EPOCHS]
    steps = math.ceil(rows / LARGE_BATCH)
    case = LARGE_FILE_CASE
    run_in_rotation(runner, {
        "local": lambda rep: runner.dlcoord_local(case, "dltrain-file-local", rep, argv, TIMEOUT_S, steps),
        "w2": lambda rep: runner.dlcoord_cluster(case, "dltrain-file-w2", rep, 2, argv, TIMEOUT_S, steps,
                                                 worker_flags=["--threads", "1"]),
        "torch": lambda rep: runner.anchor(case, "torch-file", rep, "big_torch.py",
                                           ["--csv", synth, "--epochs", EPOCHS], TIMEOUT_S),
        "ddp2": lambda rep: runner.anchor(case, "torch-file-ddp2", rep, "big_torch.py",
                                          ["--csv", synth, "--epochs", EPOCHS, "--world", "2", "--threads", "1"],
                                          TIMEOUT_S),
    }, lambda run: (f"wall {run['wall_s']:.1f} s, RSS {run['rss_mib']:.0f} MiB"
                    + (f", workers {', '.join(f'{rss:.0f}' for rss in run['worker_rss_all'])} MiB"
                       if run.get("worker_rss_all") else "")))


def summarize_large_file(records, rows, file_bytes):
    """Medians over the repetitions of each variant: peak RSS of every process, time before training,
    samples per second."""
    summary = dict(rows=rows, file_bytes=file_bytes, float32_bytes=float32_bytes(rows))
    for variant in VARIANTS:
        runs = [record for record in records if record["variant"] == variant and record["case"] == LARGE_FILE_CASE]
        if not runs:
            summary[variant] = None
            continue
        if variant.startswith("dltrain"):
            before = [run["wall_s"] - run["fit_s"] for run in runs]
            samples = [rows * EPOCHS / run["fit_s"] for run in runs]
        else:
            before = [run["result"].get("load_s") for run in runs]
            samples = [run["result"].get("samples_per_s_fit") for run in runs]
        workers = [run.get("worker_rss_all") or [] for run in runs]
        summary[variant] = dict(
            n=len(runs), rss_mib=median([run["rss_mib"] for run in runs]),
            worker_rss_mib=[median([each[k] for each in workers]) for k in range(len(workers[0]))],
            before_training_s=median(before), samples_per_s=median(samples))
    return summary


def worker_bound_mb(summary, workers=2):
    """A worker's bound: its shards' rows as float32 (the largest share of `workers`), times the factor,
    plus the slack."""
    share = math.ceil(summary["rows"] / workers) * (LARGE_FEATURES + 1) * 4
    return WORKER_FACTOR * share / MB + SLACK_MB


def local_bound_mb(summary):
    return LOCAL_FACTOR * summary["float32_bytes"] / MB + SLACK_MB


def largest_worker_mb(summary):
    run = summary.get("dltrain-file-w2") if summary else None
    return max(run["worker_rss_mib"]) * MIB / MB if run and run["worker_rss_mib"] else None


def process_mb(summary, variant):
    run = summary.get(variant) if summary else None
    return run["rss_mib"] * MIB / MB if run else None


def large_file_section(summary):
    if not summary:
        return []
    data_mb = summary["float32_bytes"] / MB
    lines = [f"## {LARGE_FILE_CASE}. A large file: peak memory of every process", "",
             f"The large job's model (64 -> 256 relu -> 256 relu -> 1 sigmoid, batch {LARGE_BATCH}) for "
             f"{EPOCHS} epoch on `dlbench gen-synth --rows {summary['rows']}`: {summary['rows']:,} rows x "
             f"{LARGE_FEATURES} features + label, {format_number(summary['file_bytes'] / MB)} MB of CSV, "
             f"{format_number(data_mb)} MB as float32 ({LARGE_FEATURES + 1} x 4 bytes a row). MB = 10^6 bytes. "
             "Time before training: the process's wall time less its epoch's `seconds` (dltrain; the model "
             "file's writing is in it too), or `load_s` (PyTorch: pandas.read_csv into float32 tensors).", "",
             *table_head("process", "peak RSS MB", "× float32 data", "bound MB", "time before training s",
                         "samples/s")]
    bounds = {"dltrain-file-local": local_bound_mb(summary)}
    for variant, label in VARIANTS.items():
        run = summary.get(variant)
        if not run:
            lines.append(table_row(label, "not measured", MISSING, MISSING, MISSING, MISSING))
            continue
        rss_mb = run["rss_mib"] * MIB / MB
        role = "coordinator" if variant == "dltrain-file-w2" else "largest process" if variant == "torch-file-ddp2" else ""
        bound = (COORDINATOR_BOUND_MB if variant == "dltrain-file-w2" else bounds.get(variant)) \
            if variant.startswith("dltrain") else None
        lines.append(table_row(label + (f": {role}" if role else ""), format_number(rss_mb), f"{rss_mb / data_mb:.2f} ×",
                               format_number(bound), format_number(run["before_training_s"]),
                               format_number(run["samples_per_s"])))
        for k, worker_mib in enumerate(run["worker_rss_mib"]):
            worker_mb = worker_mib * MIB / MB
            lines.append(table_row(f"{label}: worker {k + 1}", format_number(worker_mb), f"{worker_mb / data_mb:.2f} ×",
                                   format_number(worker_bound_mb(summary)), "", ""))
    lines += ["", "The coordinator's memory does not grow with the file: it holds a few `--read-chunk`s (64 MiB "
                  "each by default), the model and 4 bytes per training row; each worker holds its shard's rows once. "
                  "PyTorch's every process holds the whole table (DDP: each rank reads the file and keeps it, "
                  "then indexes its part).", ""]
    return lines
