#!/usr/bin/env python3
"""dltrain's benchmark suite: dltrain beside Keras and PyTorch on the same jobs, on this machine.

    python3 bench/run.py [--install-anchors] [--reps 5] [--quick]

Builds dltrain (`swift build -c release`) and the allocation counter (bench/malloc_count.c), writes
the large job's synthetic CSV once (`dlbench gen-synth`, into .build/bench/), then runs every case
side by side, repetition after repetition, dltrain and the anchors in turn: the scripts in
../shared/anchors (the Keras and PyTorch versions of the same jobs, each printing `RESULT {json}`).
Every process's wall time and peak resident memory are its own, taken from os.wait4 when it exits;
distributed runs start each dlworker by hand, so every worker is measured too. Prints the tables and
writes them to docs/benchmarks.md (a --quick or --cases run writes .build/bench/benchmarks.md
instead), with the raw measurements in .build/bench/results.json.

The anchors run under the first Python that has their packages: --python PATH (repeatable), then
.build/anchors-venv (made by --install-anchors: tensorflow-cpu, pandas, numpy, torch, scikit-learn from PyPI), then
this Python. An anchor whose packages are missing is reported as "not installed".

Cases:
  1. seed job, one process       dlcoord --local vs keras_seed.py vs torch_seed.py
  2. seed job, four workers      dlcoord --workers 4 + 4 dlworker vs torch_ddp_seed.py --world 4 vs dlbench exchange
  3. large job                   samples/s, one thread per process: dlcoord --local, --workers 1, --workers 2 vs
                                 big_torch.py (1 thread, DDP x2)
  4. CSV loading                 dlbench csv vs load_bench.py (pandas.read_csv, numpy.loadtxt)
  5. peak memory, large job      coordinator and worker RSS against the data's size
  6. allocations per step        dlbench allocations under bench/malloc_count.so
  7. threads                     dlcoord --local with its default threads vs --threads 1 (large and seed job), vs
                                 big_torch.py at torch's default threads; allocations per step split over threads
  8. multi-host                  the large job on network-namespace hosts (root): dlcoord on h0 + dlworker on
                                 h1..hN vs ddp_hosts.sh, samples/s and bytes per link per step
  9. large file                  one epoch on a 2,000,000-row CSV: peak RSS of every process against the data's
                                 float32 size, dlcoord --local and --workers 2 vs big_torch.py (1 process, DDP x2)
 10. raw table                   a 1,000,000-row CSV with text columns and gaps (`dlbench gen-table`): time to the
                                 first training step, encoding rows/s and peak RSS, dlcoord --local vs Keras
                                 FeatureSpace (bench/anchors/table_keras.py) vs pandas + scikit-learn
                                 (bench/anchors/table_sklearn.py)
 11. Keras's fit options         the seed job with --class-weight balanced, and with a Dropout and a cosine
                                 --lr-schedule, vs Keras with the same (bench/anchors/fit_keras_seed.py); the large
                                 job's samples/s with dropout and an L2 kernel regularizer vs without them and vs
                                 PyTorch with nn.Dropout and weight_decay (bench/anchors/fit_torch_large.py)
"""

# The entry point: the command line and the order of the work; bench/README.md says which module does
# the rest.

import argparse
import json
import math
import shlex
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # run from the source tree: leave no __pycache__ beside the modules

from cases import CaseRunner, Jobs, run_cases
from environment import (anchor_status, build, build_malloc_counter, install_anchors, interpreter_for, machine_facts,
                         probe_interpreters, run_command)
from fitoptions import FIT_OPTIONS_CASE, fit_options, summarize_fit_options
from largefile import LARGE_FILE_CASE, large_file, large_file_rows, summarize_large_file
from multihost import MULTIHOST_CASE, multi_host, summarize_multihost
from rawtable import RAW_TABLE_CASE, raw_table, raw_table_csv, raw_table_rows, summarize_raw_table
from report import render
from settings import (ALL_CASES, ANCHOR_MODULES, BENCH, DEFAULT_ANCHORS, LARGE_BATCH, LARGE_FEATURES, LOGS,
                      RELEASE, RESULTS_JSON, ROOT, SEED_BATCH, SEED_CSV, default_report_path)
from summary import CLUSTER_VARIANTS, fit_range, summarize

SYNTH_SEED = 12345


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--install-anchors", action="store_true",
                        help="create .build/anchors-venv and pip-install tensorflow-cpu, pandas, numpy, torch, scikit-learn into it")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of every measurement (default 5)")
    parser.add_argument("--quick", action="store_true",
                        help="1 repetition, a 20,000-row synthetic file, shorter loops: for trying the script")
    parser.add_argument("--python", action="append", default=[], metavar="PATH",
                        help="a Python with anchor packages, tried before .build/anchors-venv (repeatable)")
    parser.add_argument("--anchors", type=Path, default=DEFAULT_ANCHORS,
                        help="the anchors' scripts (default ../shared/anchors)")
    parser.add_argument("--cases", default="1,2,3,4,5,6,7,8,9,10,11", help="the cases to run, e.g. 1,3 (default all)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the Markdown report (default docs/benchmarks.md; .build/bench/benchmarks.md for --quick "
                             "or --cases)")
    parser.add_argument("--no-build", action="store_true", help="use the release binaries as they are")
    parser.add_argument("--from-results", type=Path, default=None, metavar="JSON",
                        help="measure nothing: render the report again from a results.json of an earlier run")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="S",
                        help="before each run, wait up to S seconds for other processes to leave the CPUs idle "
                             "(default 0)")
    return parser.parse_args()


def data_rows(path):
    with open(path, "rb") as csv:
        return sum(1 for line in csv if line.strip())


def synthetic_csv(rows):
    """The large job's CSV, written by `dlbench gen-synth` the first time it is needed."""
    synth = BENCH / f"synth_{rows}_{LARGE_FEATURES}.csv"
    if synth.exists():
        return synth
    print(f"== dlbench gen-synth --rows {rows} --features {LARGE_FEATURES} --seed {SYNTH_SEED} "
          f"--out {synth.relative_to(ROOT)}", flush=True)
    completed = run_command([RELEASE / "dlbench", "gen-synth", "--rows", rows, "--features", LARGE_FEATURES,
                             "--seed", SYNTH_SEED, "--out", synth])
    if completed.returncode != 0:
        sys.exit("gen-synth failed: " + completed.stderr)
    print("   " + completed.stdout.splitlines()[0], flush=True)
    return synth


def rerender(args):
    """Renders the report again from an earlier results.json, measuring nothing."""
    results = json.loads(args.from_results.read_text())
    cases = set(results.get("cases", sorted(ALL_CASES)))
    quick = results.get("quick", False)
    summary = results["summary"]
    # JSON turned the integer case keys into strings.
    summary["other_load"] = {int(case): load for case, load in summary.get("other_load", {}).items()}
    # Results written before the spread was summarized still hold the runs it comes from.
    for variant in CLUSTER_VARIANTS:
        summary[variant].setdefault("fit_range", fit_range(results.get("runs", []), variant))
    # The multi-host case's summary is made again from its runs, so an older results.json gets its ranges.
    summary["multihost"] = summarize_multihost(results.get("runs", []))
    large = summary.get("largefile")
    if large:
        summary["largefile"] = summarize_large_file(results.get("runs", []), large["rows"], large["file_bytes"])
    table = summary.get("rawtable")
    if table:
        summary["rawtable"] = summarize_raw_table(results.get("runs", []), table["rows"], table["file_bytes"])
    if summary.get("fitoptions"):
        summary["fitoptions"] = summarize_fit_options(results.get("runs", []), summary["fitoptions"]["rows"])
    report = render(summary, results["machine"], results["command"], results["errors"], cases, quick)
    out = args.out or default_report_path(quick, cases)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    print(report)
    print(f"wrote {out}")


def main():
    args = parse_args()
    if args.from_results:
        rerender(args)
        return
    cases = {int(case) for case in args.cases.split(",") if case.strip()}
    if args.quick:
        args.reps = 1
    if args.reps < 1:
        sys.exit("--reps must be at least 1")
    out_md = args.out or default_report_path(args.quick, cases)
    if not (args.anchors / "README.md").exists():
        print(f"   no anchors at {args.anchors}: the anchors are reported as not installed")
        args.anchors = None
    command = "python3 bench/run.py" + ("" if len(sys.argv) == 1 else " " + shlex.join(sys.argv[1:]))

    BENCH.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    if args.install_anchors:
        install_anchors()
    if not args.no_build:
        build()
    counter_built = build_malloc_counter()
    interpreters = probe_interpreters(args.python)
    machine = machine_facts(interpreters)
    for script in ANCHOR_MODULES:
        info = interpreter_for(script, interpreters)
        status = anchor_status(script, args.anchors, interpreters)
        print(f"   {script}: " + (f"python {info['python']} at {info['python_path']}" if status == "ok" else status),
              flush=True)

    rows = 20_000 if args.quick else 200_000
    synth = synthetic_csv(rows)
    seed_rows = data_rows(SEED_CSV)
    jobs = Jobs(synth=synth, seed_steps=math.ceil(seed_rows / SEED_BATCH), large_steps=math.ceil(rows / LARGE_BATCH),
                default_threads=machine["dltrain_threads"] or 1)
    runner = CaseRunner(args, interpreters)
    run_cases(runner, cases, jobs, counter_built)
    if MULTIHOST_CASE in cases:
        multi_host(runner, jobs, rows)
    large_file_summary = None
    if LARGE_FILE_CASE in cases:
        file_rows = large_file_rows(args.quick)
        big = synthetic_csv(file_rows)
        large_file(runner, big, file_rows)
        large_file_summary = (file_rows, big.stat().st_size)
    raw_table_summary = None
    if RAW_TABLE_CASE in cases:
        table_rows = raw_table_rows(args.quick)
        table = raw_table_csv(table_rows, run_command)
        raw_table(runner, table, table_rows)
        raw_table_summary = (table_rows, table.stat().st_size)
    if FIT_OPTIONS_CASE in cases:
        fit_options(runner, jobs)

    facts = dict(seed_rows=seed_rows, seed_steps=jobs.seed_steps, rows=rows, large_steps=jobs.large_steps,
                 synth_bytes=synth.stat().st_size, synth=str(synth.relative_to(ROOT)), reps=args.reps,
                 default_threads=jobs.default_threads)
    anchor_statuses = {script: anchor_status(script, args.anchors, interpreters) for script in ANCHOR_MODULES}
    summary = summarize(runner.records, runner.load, facts, anchor_statuses)
    summary["multihost"] = summarize_multihost(runner.records)
    summary["largefile"] = summarize_large_file(runner.records, *large_file_summary) if large_file_summary else None
    summary["rawtable"] = summarize_raw_table(runner.records, *raw_table_summary) if raw_table_summary else None
    summary["fitoptions"] = summarize_fit_options(runner.records, rows) if FIT_OPTIONS_CASE in cases else None
    report = render(summary, machine, command, runner.errors, cases, args.quick)
    print()
    print(report)
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.write_text(report)
    RESULTS_JSON.write_text(json.dumps(dict(machine=machine, command=command, cases=sorted(cases), quick=args.quick,
                                            summary=summary, errors=runner.errors, runs=runner.records),
                                       indent=1, default=str))
    print(f"wrote {out_md.relative_to(ROOT) if out_md.is_relative_to(ROOT) else out_md} and "
          f"{RESULTS_JSON.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
