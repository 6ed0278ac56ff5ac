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
.build/anchors-venv (made by --install-anchors: tensorflow-cpu, pandas, numpy, torch from PyPI), then
this Python. An anchor whose packages are missing is reported as "not installed".

Cases:
  1. seed job, one process       dlcoord --local vs keras_seed.py vs torch_seed.py
  2. seed job, four workers      dlcoord --workers 4 + 4 dlworker vs torch_ddp_seed.py --world 4 vs dlbench exchange
  3. large job                   samples/s: dlcoord --local, --workers 1, --workers 2 vs big_torch.py (1 thread, DDP x2)
  4. CSV loading                 dlbench csv vs load_bench.py (pandas.read_csv, numpy.loadtxt)
  5. peak memory, large job      coordinator and worker RSS against the data's size
  6. allocations per step        dlbench allocations under bench/malloc_count.so
"""

# The entry point: the command line, the order of the work, and (for now) the report. The rest of bench/:
# settings.py, harness.py (processes and their measurements), environment.py (build, anchors' Pythons,
# machine facts), cases.py, summary.py.

import argparse
import json
import math
import shlex
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # run from the source tree: leave no __pycache__ beside the modules

from cases import CaseRunner, Jobs, run_cases
from environment import (anchor_status, build, install_anchors, interpreter_for, machine_facts, probe_interpreters,
                         run_command)
from settings import (ALL_CASES, ANCHOR_MODULES, BENCH, DEFAULT_ANCHORS, LARGE_BATCH, LARGE_EPOCHS, LARGE_FEATURES,
                      LARGE_PARAMETERS, LOGS, MALLOC_SO, RELEASE, RESULTS_JSON, ROOT, SEED_BATCH, SEED_CSV, SEED_EPOCHS,
                      SEED_PARAMETERS, default_report_path)
from summary import CLUSTER_VARIANTS, fit_range, summarize
from summary import median as med

SYNTH_SEED = 12345


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--install-anchors", action="store_true",
                        help="create .build/anchors-venv and pip-install tensorflow-cpu, pandas, numpy, torch into it")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of every measurement (default 5)")
    parser.add_argument("--quick", action="store_true",
                        help="1 repetition, a 20,000-row synthetic file, shorter loops: for trying the script")
    parser.add_argument("--python", action="append", default=[], metavar="PATH",
                        help="a Python with anchor packages, tried before .build/anchors-venv (repeatable)")
    parser.add_argument("--anchors", type=Path, default=DEFAULT_ANCHORS,
                        help="the anchors' scripts (default ../shared/anchors)")
    parser.add_argument("--cases", default="1,2,3,4,5,6", help="the cases to run, e.g. 1,3 (default all)")
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
    counter_built = build() if not args.no_build else MALLOC_SO.exists()
    interpreters = probe_interpreters(args.python)
    machine = machine_facts(interpreters)
    for script in ANCHOR_MODULES:
        info = interpreter_for(script, interpreters)
        print(f"   {script}: " + (f"python {info['python']} at {info['python_path']}" if info and args.anchors
                                  else "anchors not found" if args.anchors is None else "not installed"), flush=True)

    rows = 20_000 if args.quick else 200_000
    synth = synthetic_csv(rows)
    seed_rows = data_rows(SEED_CSV)
    jobs = Jobs(synth=synth, seed_steps=math.ceil(seed_rows / SEED_BATCH), large_steps=math.ceil(rows / LARGE_BATCH))
    runner = CaseRunner(args, interpreters)
    run_cases(runner, cases, jobs, counter_built)

    facts = dict(seed_rows=seed_rows, seed_steps=jobs.seed_steps, rows=rows, large_steps=jobs.large_steps,
                 synth_bytes=synth.stat().st_size, synth=str(synth.relative_to(ROOT)), reps=args.reps)
    anchor_statuses = {script: anchor_status(script, args.anchors, interpreters) for script in ANCHOR_MODULES}
    summary = summarize(runner.records, runner.load, facts, anchor_statuses)
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


# ----------------------------------------------------------------------------------------------
# The report


def fmt(value, digits=2, unit=""):
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.{digits}f}"
    return text + unit


def fraction(part, whole):
    """`part` as 1/N of `whole` (dltrain's time or memory as a fraction of another's)."""
    if not part or not whole:
        return None
    return whole / part


def one_over(n):
    return "—" if n is None else (f"1/{n:,.0f}" if n >= 10 else f"1/{n:.1f}")


def target(rows, name, measured_text, ok):
    rows.append((name, measured_text, "—" if ok is None else ("**met**" if ok else "**not met**")))


def render(s, machine, command, errors, cases, quick):
    f = s["facts"]
    na = lambda script: s["anchors"][script] != "ok"
    st = lambda script: s["anchors"][script]
    L = []
    L.append("# Benchmarks")
    L.append("")
    L.append("dltrain beside Keras and PyTorch on the same jobs, on one machine, generated by `bench/run.py` "
             "(do not edit by hand; run it again). Every figure is the median over the repetitions; each process's "
             "wall time and peak resident memory (RSS) are its own, measured by the driver when it exits (`os.wait4`), "
             "so they include start-up, reading the data and writing the results. The anchors are the scripts in "
             "`../shared/anchors` (see its README), each run as its own process.")
    L.append("")
    L.append("Run it with `python3 bench/run.py [--install-anchors] [--reps 5] [--quick]` after `swift build` works "
             "(`--install-anchors` makes `.build/anchors-venv` with tensorflow-cpu, pandas, numpy and torch; `--help` "
             "lists the rest). This report was made by:")
    L.append("")
    L.append("```")
    L.append(command)
    L.append("```")
    L.append("")
    L.append(f"{f['reps']} repetition(s), {machine['date']}, commit `{machine['commit']}`.")
    if quick:
        L.append("")
        L.append("**Quick mode**: one repetition and a 20,000-row synthetic file; not for comparison.")
    L.append("")
    L.append("## Machine")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    machine = dict(machine, python_anchors=machine["python_anchors"].replace(str(ROOT) + "/", ""))
    for key, label in (("cpu", "CPU"), ("cores", "cores"), ("memory", "memory"), ("os", "OS"), ("swift", "Swift"),
                       ("python_driver", "Python (driver)"), ("python_anchors", "Python (anchors)"),
                       ("tensorflow", "TensorFlow"), ("keras", "Keras"), ("torch", "PyTorch"), ("numpy", "numpy"),
                       ("pandas", "pandas")):
        L.append(f"| {label} | {machine[key]} |")
    L.append("")

    load = s.get("other_load", {})
    if load:
        parts = [f"case {case}: {fmt(v['cores'], 2)} (worst run {fmt(v['worst'], 2)})" for case, v in sorted(load.items())
                 if v["cores"] is not None]
        L.append("Other processes' CPU use while the cases ran, in cores (from /proc/stat, minus the measured "
                 "processes' own CPU time): " + "; ".join(parts) + ".")
        busiest = max((v["worst"] or 0 for v in load.values()), default=0)
        if busiest > 0.25:
            L.append("")
            L.append(f"**The machine was not idle**: in the worst run other processes used {busiest:.2f} of its "
                     f"{machine['cores']} cores; those figures are pessimistic for whichever run it hit.")
        L.append("")

    # Targets
    T = []
    d, k, t = s["dltrain"], s["keras"], s["torch"]
    if 1 in cases:
        r = fraction(d["wall_s"], k["wall_s"])
        target(T, "1. seed job, one process: wall time ≤ 1/200 of Keras's",
               st("keras_seed.py") if na("keras_seed.py") else f"{one_over(r)} ({fmt(d['wall_s'], 3)} s vs {fmt(k['wall_s'])} s)",
               None if r is None else r >= 200)
        r = fraction(d["rss_mib"], k["rss_mib"])
        target(T, "1. seed job, one process: peak memory ≤ 1/20 of Keras's",
               st("keras_seed.py") if na("keras_seed.py") else f"{one_over(r)} ({fmt(d['rss_mib'])} MiB vs {fmt(k['rss_mib'])} MiB)",
               None if r is None else r >= 20)
    # The case 2 is "the seed job on four spawned workers": one command that runs the whole
    # job, as torch_ddp_seed.py is; the hand-started variant is in the case's table beside it.
    spawned, ddp, ex = s["dltrain-w4-spawn"], s["torch-ddp4"], s["exchange"]
    if 2 in cases:
        r = fraction(spawned["wall_s"], k["wall_s"])
        target(T, "2. seed job, four spawned workers: wall time ≤ 1/10 of Keras's (one process)",
               st("keras_seed.py") if na("keras_seed.py") else f"{one_over(r)} ({fmt(spawned['wall_s'])} s vs {fmt(k['wall_s'])} s)",
               None if r is None else r >= 10)
        r = fraction(spawned["wall_s"], ddp["wall_s"])
        target(T, "2. seed job, four spawned workers: wall time ≤ 1/40 of torch DDP's (4 processes)",
               st("torch_ddp_seed.py") if na("torch_ddp_seed.py") else f"{one_over(r)} ({fmt(spawned['wall_s'])} s vs {fmt(ddp['wall_s'])} s)",
               None if r is None else r >= 40)
        r = spawned["step_us"] / ex["us_mean"] if spawned["step_us"] and ex["us_mean"] else None
        target(T, "2. seed job, four spawned workers: time per step ≤ 1.3 × the raw exchange round (means)",
               "—" if r is None else f"{r:.2f} × ({fmt(spawned['step_us'])} µs vs {fmt(ex['us_mean'])} µs)",
               None if r is None else r <= 1.3)
    lg, l1, l2, tl, td = (s["dltrain-large"], s["dltrain-large-w1"], s["dltrain-large-w2"], s["torch-large-1t"],
                          s["torch-large-ddp2"])
    if 3 in cases:
        r = lg["samples_per_s"] / tl["samples_per_s"] if lg["samples_per_s"] and tl["samples_per_s"] else None
        target(T, "3. large job: samples/s ≥ 1.25 × PyTorch with one thread",
               st("big_torch.py") if na("big_torch.py") else ("—" if r is None else
                                                          f"{r:.2f} × ({fmt(lg['samples_per_s'])} vs {fmt(tl['samples_per_s'])})"),
               None if r is None else r >= 1.25)
        r = l2["samples_per_s"] / l1["samples_per_s"] if l2["samples_per_s"] and l1["samples_per_s"] else None
        target(T, "3. large job: 2 workers ≥ 1.8 × 1 worker",
               "—" if r is None else f"{r:.2f} × ({fmt(l2['samples_per_s'])} vs {fmt(l1['samples_per_s'])} samples/s)",
               None if r is None else r >= 1.8)
    csv, lb = s["csv"], s["load_bench"]
    pandas_best = max((v for k2, v in lb.items() if k2.startswith("pd.")), key=lambda v: v["MB_per_s_median"], default=None)
    numpy_best = max((v for k2, v in lb.items() if k2.startswith("np.")), key=lambda v: v["MB_per_s_median"], default=None)
    if 4 in cases:
        ours = csv["MB_per_s_median"] if csv else None
        r = ours / pandas_best["MB_per_s_median"] if ours and pandas_best else None
        target(T, "4. CSV loading: MB/s ≥ pandas.read_csv (its fastest variant)",
               st("load_bench.py") if na("load_bench.py") else ("—" if r is None else
                                                           f"{r:.2f} × ({fmt(ours)} vs {fmt(pandas_best['MB_per_s_median'])} MB/s)"),
               None if r is None else r >= 1)
        r = ours / numpy_best["MB_per_s_median"] if ours and numpy_best else None
        target(T, "4. CSV loading: MB/s ≥ 3 × numpy.loadtxt (its fastest variant)",
               st("load_bench.py") if na("load_bench.py") else ("—" if r is None else
                                                           f"{r:.2f} × ({fmt(ours)} vs {fmt(numpy_best['MB_per_s_median'])} MB/s)"),
               None if r is None else r >= 3)
    al = s["allocations"]
    if 6 in cases:
        if al and al.get("measured"):
            worst = max(run["per_step"] for run in al["runs"])
            target(T, "6. heap allocations per training step = 0",
                   ", ".join(f"{fmt(run['per_step'])} ({run['shards']} shard{'s' if run['shards'] > 1 else ''})"
                             for run in al["runs"]), worst == 0)
        else:
            target(T, "6. heap allocations per training step = 0", "not measured", None)
    L.append("## Targets")
    L.append("")
    L.append("| target | measured | |")
    L.append("|---|---|---|")
    for row in T:
        L.append("| " + " | ".join(row) + " |")
    L.append("")

    if 1 in cases:
        L.append("## 1. Seed job, one process")
        L.append("")
        L.append(f"The Keras lesson: 17 -> 30 relu -> 1 sigmoid, mean squared error, Adam, {SEED_EPOCHS} epochs of batch "
                 f"{SEED_BATCH} on `dataset/ThoraricSurgery.csv` ({f['seed_rows']} rows, {f['seed_steps']} steps per epoch). "
                 "Fit time: dltrain's is the sum of the epochs' `seconds` in metrics.jsonl; the anchors' is their `fit_s`.")
        L.append("")
        L.append("| run | wall s | fit s | µs per step | peak RSS MiB | wall / dltrain's | RSS / dltrain's |")
        L.append("|---|---|---|---|---|---|---|")

        def row1(label, v, status=None):
            if status not in (None, "ok"):
                L.append(f"| {label} | {status} | | | | | |")
                return
            L.append(f"| {label} | {fmt(v['wall_s'], 3)} | {fmt(v['fit_s'], 3)} | {fmt(v.get('step_us'), 1)} | "
                     f"{fmt(v['rss_mib'], 1)} | {ratio_text(v['wall_s'], d['wall_s'])} | {ratio_text(v['rss_mib'], d['rss_mib'])} |")

        row1("dltrain `dlcoord --local --verbose 0`", d)
        row1(f"dltrain, one checkpoint instead of {SEED_EPOCHS} (`--checkpoint-every {SEED_EPOCHS}`)", s["dltrain-ckpt-end"])
        row1("Keras `keras_seed.py --verbose 0`", k, s["anchors"]["keras_seed.py"])
        row1("PyTorch `torch_seed.py` (torch's default threads)", t, s["anchors"]["torch_seed.py"])
        L.append("")

    if 2 in cases:
        w4 = s["dltrain-w4"]
        L.append("## 2. Seed job, four workers")
        L.append("")
        L.append(f"`dlcoord --workers 4` with four `dlworker` processes started by hand, over an `ipc://` endpoint (wall: "
                 "from starting the coordinator until the last process exits; fit: the epochs' `seconds`); the same with "
                 "`--spawn`; `torch_ddp_seed.py --world 4` (gloo, one thread per process, global batch 12 as 4 × 3); and "
                 f"the raw exchange: `dlbench exchange`, a ROUTER sending {SEED_PARAMETERS} float32 to four DEALER "
                 f"processes that each answer with {SEED_PARAMETERS}, the traffic of one step without the trainer.")
        L.append("")
        L.append("| run | wall s | fit s | µs per step | worker compute µs per step | coordinator RSS MiB | "
                 "worker RSS MiB (largest) |")
        L.append("|---|---|---|---|---|---|---|")
        L.append(f"| dltrain `dlcoord --workers 4 --verbose 2`, 4 hand-started workers | {fmt(w4['wall_s'], 3)} | "
                 f"{fmt(w4['fit_s'], 3)} | {fmt(w4['step_us'], 1)} | {fmt(w4['worker_compute_us'], 1)} | "
                 f"{fmt(w4['rss_mib'], 1)} | {fmt(w4['worker_rss_mib'], 1)} |")
        sp = s["dltrain-w4-spawn"]
        L.append(f"| dltrain, `--spawn` | {fmt(sp['wall_s'], 3)} | {fmt(sp['fit_s'], 3)} | {fmt(sp['step_us'], 1)} | "
                 f"{fmt(sp['worker_compute_us'], 1)} | {fmt(sp['rss_mib'], 1)} (largest of it and its workers) | |")
        if na("torch_ddp_seed.py"):
            L.append(f"| PyTorch DDP, 4 processes | {st('torch_ddp_seed.py')} | | | | | |")
        else:
            L.append(f"| PyTorch DDP `torch_ddp_seed.py --world 4` | {fmt(ddp['wall_s'], 3)} | {fmt(ddp['fit_s'], 3)} | "
                     f"{fmt(ddp['step_us'], 1)} | | {fmt(ddp['rss_mib'], 1)} (largest process) | |")
        L.append(f"| raw exchange, 4 workers, {SEED_PARAMETERS} floats each way | | | {fmt(ex['us_mean'], 1)} "
                 f"(median {fmt(ex['us_median'], 1)}, p90 {fmt(ex['us_p90'], 1)}) | | | |")
        L.append("")
        if w4["step_us"] and sp["step_us"] and ex["us_mean"]:
            L.append(f"dltrain's time per step (a mean over the run) is {sp['step_us'] / ex['us_mean']:.2f} × the raw "
                     f"exchange's mean round with `--spawn` and {w4['step_us'] / ex['us_mean']:.2f} × with hand-started "
                     "workers" + (f"; one process computes the same step in {fmt(d['step_us'], 1)} µs." if d["step_us"] else ".")
                     + " Both variants do the same work; over the repetitions their training took "
                     f"{fmt(w4['fit_range'][0], 3)}–{fmt(w4['fit_range'][1], 3)} s (hand-started) and "
                     f"{fmt(sp['fit_range'][0], 3)}–{fmt(sp['fit_range'][1], 3)} s (`--spawn`) on this shared machine.")
            L.append("")

    if 3 in cases:
        L.append("## 3. Large job")
        L.append("")
        L.append(f"64 -> 256 relu -> 256 relu -> 1 sigmoid, binary cross-entropy, Adam, batch {LARGE_BATCH}, {LARGE_EPOCHS} "
                 f"epochs on `{f['synth']}` ({f['rows']:,} rows x 64 features + label, {f['synth_bytes'] / 1e6:.0f} MB, "
                 f"{f['large_steps']} steps per epoch), made by `dlbench gen-synth` with the recipe of `gen_synth.py`. "
                 "Samples per second: rows × epochs / training time (dltrain: the epochs' `seconds`; PyTorch: its `fit_s`), "
                 "so loading the CSV is not in it; the wall time is.")
        L.append("")
        L.append("| run | samples/s | × PyTorch 1 thread | ms per step | worker compute ms per step | fit s | wall s | "
                 "peak RSS MiB |")
        L.append("|---|---|---|---|---|---|---|---|")

        def row3(label, v, status=None):
            if status not in (None, "ok"):
                L.append(f"| {label} | {status} | | | | | | |")
                return
            rss = fmt(v["rss_mib"], 1)
            if v.get("worker_rss_mib") is not None:
                rss = f"{rss} + workers {fmt(v['worker_rss_mib'], 1)} (largest)"
            step = v["step_us"] / 1000 if v.get("step_us") else None
            compute = v["worker_compute_us"] / 1000 if v.get("worker_compute_us") else None
            L.append(f"| {label} | {fmt(v['samples_per_s'])} | {ratio_text(v['samples_per_s'], tl['samples_per_s'], 'x')} | "
                     f"{fmt(step, 2)} | {fmt(compute, 2)} | {fmt(v['fit_s'])} | {fmt(v['wall_s'])} | {rss} |")

        row3("dltrain `dlcoord --local --verbose 0`", lg)
        row3("dltrain `--workers 1`, hand-started", l1)
        row3("dltrain `--workers 2`, hand-started", l2)
        row3("PyTorch `big_torch.py --threads 1`", tl, s["anchors"]["big_torch.py"])
        row3("PyTorch DDP `big_torch.py --world 2 --threads 1`", td, s["anchors"]["big_torch.py"])
        for n in (1, 2):
            e = s[f"exchange-large-w{n}"]
            if e["us_mean"] is not None:
                L.append(f"| raw exchange, {n} worker{'s' if n > 1 else ''}, {LARGE_PARAMETERS:,} floats each way | | | "
                         f"{fmt(e['us_mean'] / 1000, 2)} (median {fmt(e['us_median'] / 1000, 2)}, "
                         f"p90 {fmt(e['us_p90'] / 1000, 2)}) | | | | |")
        L.append("")
        L.append("The workers' compute time is what the coordinator logs at the end of a run (`--verbose 2`): each worker's "
                 "own time computing its shards' gradients per step in the last epoch, averaged over the workers.")
        L.append("")
        if l1["samples_per_s"] and l2["samples_per_s"]:
            L.append(f"Two workers give {l2['samples_per_s'] / l1['samples_per_s']:.2f} × one worker's samples per second.")
            L.append("")

    if 4 in cases:
        L.append("## 4. CSV loading")
        L.append("")
        L.append(f"Reading `{f['synth']}` ({f['synth_bytes'] / 1e6:.0f} MB) from the page cache into float32 features and "
                 "labels: `dlbench csv` times `CSVDocument.open` + `read(features:labels:)`; `load_bench.py` "
                 "times numpy.loadtxt and pandas.read_csv. MB = 10^6 bytes; medians over the repetitions inside each "
                 "program. CPU seconds above the wall time mean more than one thread.")
        L.append("")
        L.append("| reader | MB/s (median) | MB/s (best) | s (median) | CPU s per read |")
        L.append("|---|---|---|---|---|")
        if csv:
            L.append(f"| dltrain `CSVDocument` | {fmt(csv['MB_per_s_median'])} | {fmt(csv['MB_per_s_best'])} | "
                     f"{fmt(csv['median_s'], 3)} | {fmt(med(csv['cpu_s']), 3)} |")
        if na("load_bench.py"):
            L.append(f"| numpy.loadtxt, pandas.read_csv | {st('load_bench.py')} | | | |")
        for name, v in lb.items():
            L.append(f"| `{name}` | {fmt(v['MB_per_s_median'])} | {fmt(v['MB_per_s_min_max'][1])} | {fmt(v['median_s'], 3)} | "
                     f"{fmt(med(v['cpu_s']), 3)} |")
        L.append("")

    if 5 in cases or 3 in cases:
        L.append("## 5. Peak memory of the large job")
        L.append("")
        data_bytes = f["rows"] * 65 * 4
        mib = 1024 * 1024
        L.append(f"The data as float32 is {f['rows']:,} × 65 × 4 bytes = {data_bytes / mib:.1f} MiB; the CSV file is "
                 f"{f['synth_bytes'] / mib:.1f} MiB.")
        L.append("")
        L.append("| process | peak RSS MiB | × float32 data | × CSV file |")
        L.append("|---|---|---|---|")

        def row5(label, value):
            L.append(f"| {label} | {fmt(value, 1)} | {ratio_text(value, data_bytes / mib, 'x', 2)} | "
                     f"{ratio_text(value, f['synth_bytes'] / mib, 'x', 2)} |")

        row5("dltrain coordinator, `--workers 2`", l2["rss_mib"])
        row5("dltrain worker (largest of 2)", l2["worker_rss_mib"])
        row5("dltrain coordinator, `--workers 1`", l1["rss_mib"])
        row5("dltrain worker, `--workers 1`", l1["worker_rss_mib"])
        row5("dltrain `--local`", lg["rss_mib"])
        if not na("big_torch.py"):
            row5("PyTorch `big_torch.py --threads 1`", tl["rss_mib"])
            row5("PyTorch DDP, 2 processes (largest)", td["rss_mib"])
        L.append("")

    if 6 in cases:
        L.append("## 6. Heap allocations per training step")
        L.append("")
        L.append("`dlbench allocations` under `LD_PRELOAD=.build/malloc_count.so` (bench/malloc_count.c counts malloc, "
                 "calloc, realloc, posix_memalign, aligned_alloc, memalign): the seed job's step loop "
                 "(ShardRunner.computeStep for every shard, then TrainingProgress.applyStep) after a warm-up epoch, and "
                 "LocalTrainer.train over whole epochs.")
        L.append("")
        if al and al.get("measured"):
            L.append("| shards | per step (mean) | in computeStep | in applyStep | an epoch's first step | other steps | "
                     "per epoch end | LocalTrainer.train per step |")
            L.append("|---|---|---|---|---|---|---|---|")
            for run in al["runs"]:
                L.append(f"| {run['shards']} | {fmt(run['per_step'])} | {fmt(run['compute_per_step'])} | "
                         f"{fmt(run['apply_per_step'])} | {fmt(run['first_step_of_epoch_mean'])} | {fmt(run['other_steps_mean'])} | "
                         f"{fmt(run['per_epoch_end'])} | {fmt(run['trainer_per_step'])} |")
            L.append("")
            L.append(f"Counted over {al['steps']} steps.")
        else:
            L.append("Not measured (the counter could not be built or preloaded).")
        L.append("")

    notes = observations(s, cases)
    if notes:
        L.append("## Where the time goes")
        L.append("")
        L.extend(f"- {n}" for n in notes)
        L.append("")
    if errors:
        L.append("## Runs that failed or ended badly")
        L.append("")
        L.extend(f"- {e}" for e in errors)
        L.append("")
    L.append("## Method")
    L.append("")
    L.append("- Every case runs its variants in turn, repetition after repetition (the first variant rotating), so "
             "slow drifts of the shared 2-core machine touch them alike; the heavy runs never overlap.")
    L.append("- Threads: dltrain trains on one thread per process. Keras and `torch_seed.py` use their defaults, "
             "`torch_ddp_seed.py` and `big_torch.py` one thread per process, as the anchors' README measures them. "
             "`OPENBLAS_CORETYPE` and `OPENBLAS_L2_SIZE` are removed from the anchors' environment.")
    L.append("- Peak RSS is `ru_maxrss` of each process; for a process that waited for children of its own (torch's "
             "`mp.spawn`, `dlcoord --spawn`) it is the largest of them, not their sum.")
    L.append("- Raw runs: `.build/bench/results.json`; each process's output: `.build/bench/logs/`.")
    L.append("")
    return "\n".join(L)


def ratio_text(value, reference, style="/", digits=1):
    if value is None or not reference:
        return "—"
    r = value / reference
    if style == "x":
        return f"{r:.{digits}f} ×"
    return f"{r:,.0f} ×" if r >= 10 else f"{r:.{digits}f} ×"


def observations(s, cases):
    notes = []
    d, c = s["dltrain"], s["dltrain-ckpt-end"]
    if 1 in cases and d["wall_s"] and d["fit_s"]:
        text = (f"Seed job, one process: training takes {fmt(d['fit_s'], 3)} s of the {fmt(d['wall_s'], 3)} s wall time "
                f"({100 * d['fit_s'] / d['wall_s']:.0f} %).")
        if c["wall_s"]:
            text += (f" With one checkpoint instead of one per epoch (`--checkpoint-every {SEED_EPOCHS}`) the run takes "
                     f"{fmt(c['wall_s'], 3)} s: the per-epoch checkpoints cost about {fmt(d['wall_s'] - c['wall_s'], 3)} s, "
                     f"{100 * (d['wall_s'] - c['wall_s']) / d['wall_s']:.0f} % of the run.")
        notes.append(text)
    w4, ex = s["dltrain-w4"], s["exchange"]
    if 2 in cases and w4["step_us"] and ex["us_mean"] and d["step_us"]:
        compute = (f"; each worker reports {fmt(w4['worker_compute_us'], 1)} µs of compute per step"
                   if w4["worker_compute_us"] else "")
        cpu = (f" Over the run the coordinator used {fmt(w4['coordinator_cpu_s'])} CPU-seconds and the busiest worker "
               f"{fmt(w4['worker_cpu_s'])}, in {fmt(w4['wall_s'])} s of wall time."
               if w4["coordinator_cpu_s"] is not None and w4["worker_cpu_s"] is not None else "")
        notes.append(f"Seed job, four workers: {fmt(w4['step_us'], 1)} µs per step, against {fmt(ex['us_mean'], 1)} µs for "
                     f"the bare exchange and {fmt(d['step_us'], 1)} µs for the whole step in one process{compute}. The "
                     f"{fmt(w4['step_us'] - ex['us_mean'], 1)} µs beyond the exchange are the protocol (encoding, "
                     "decoding and checking the messages, copying the frames), the coordinator's bookkeeping and the "
                     "workers' compute, with 5 processes on 2 cores." + cpu)
    sp, k, ddp = s["dltrain-w4-spawn"], s["keras"], s["torch-ddp4"]
    if 2 in cases and sp["fit_s"] and ex["us_mean"] and k.get("wall_s") and ddp.get("wall_s"):
        # The floor of a run that sends one message each way per worker per step: every round at the
        # bare exchange's mean, plus what the spawned run spends outside training.
        rounds = sp["fit_s"] * 1e6 / sp["step_us"]
        floor = rounds * ex["us_mean"] / 1e6 + (sp["wall_s"] - sp["fit_s"])
        outside, exchange_s = sp["wall_s"] - sp["fit_s"], rounds * ex["us_mean"] / 1e6

        def within(wall_limit):
            ratio = (wall_limit - outside) / exchange_s
            return f"{ratio:.3f} ×" + (", faster than the exchange itself" if ratio < 1 else "")

        notes.append(f"Seed job, four spawned workers, the floor: {rounds:,.0f} rounds at the bare exchange's mean "
                     f"({fmt(ex['us_mean'], 1)} µs) plus the {fmt(outside, 3)} s spent outside training make "
                     f"{fmt(floor, 3)} s, {one_over(k['wall_s'] / floor)} of Keras's wall time and "
                     f"{one_over(ddp['wall_s'] / floor)} of torch DDP's. 1/10 of Keras's needs every round within "
                     f"{within(k['wall_s'] / 10)} the bare exchange's; 1/40 of DDP's within {within(ddp['wall_s'] / 40)}.")
    l1, l2, lg = s["dltrain-large-w1"], s["dltrain-large-w2"], s["dltrain-large"]
    e1, e2 = s["exchange-large-w1"], s["exchange-large-w2"]
    if (3 in cases and l1["worker_compute_us"] and l2["worker_compute_us"] and e1["us_mean"] and e2["us_mean"]
            and l1["step_us"] and l2["step_us"]):
        # Without overlapping communication and computation a step is at least a worker's compute
        # plus the bare exchange; that bounds the two-worker speed-up.
        floor1 = l1["worker_compute_us"] + e1["us_mean"]
        floor2 = l2["worker_compute_us"] + e2["us_mean"]
        notes.append(f"Large job, the floor without overlap: a worker's compute plus the bare exchange is "
                     f"{fmt(floor1 / 1000, 2)} ms with one worker (measured {fmt(l1['step_us'] / 1000, 2)}) and "
                     f"{fmt(floor2 / 1000, 2)} ms with two (measured {fmt(l2['step_us'] / 1000, 2)}): at those floors two "
                     f"workers would give {floor1 / floor2:.2f} ×. 1.8 × needs a two-worker step of "
                     f"{fmt(l1['step_us'] / 1.8 / 1000, 2)} ms, less than compute plus exchange, so the exchange would "
                     "have to overlap the computation, on two cores that the two workers already keep busy.")
    if 3 in cases and l1["samples_per_s"] and l2["samples_per_s"] and lg["samples_per_s"]:
        notes.append(f"Large job: one worker reaches {100 * l1['samples_per_s'] / lg['samples_per_s']:.0f} % of one "
                     f"process's samples per second, two workers {100 * l2['samples_per_s'] / lg['samples_per_s']:.0f} %. "
                     f"Wall time minus training time (start-up, reading and sending the data, writing the results): "
                     f"{fmt(lg['wall_s'] - lg['fit_s'])} s in one process, {fmt(l2['wall_s'] - l2['fit_s'])} s with two workers.")
    for n, v in ((1, l1), (2, l2)):
        e = s[f"exchange-large-w{n}"]
        if 3 in cases and v["step_us"] and lg["step_us"]:
            parts = [f"Large job, {n} worker{'s' if n > 1 else ''}: {fmt(v['step_us'] / 1000, 2)} ms per step"]
            if v["worker_compute_us"]:
                parts.append(f"of which a worker computes {fmt(v['worker_compute_us'] / 1000, 2)} ms")
            if e["us_mean"]:
                parts.append(f"the bare exchange of {LARGE_PARAMETERS:,} floats each way takes {fmt(e['us_mean'] / 1000, 2)} ms")
            parts.append(f"one process takes {fmt(lg['step_us'] / 1000, 2)} ms for the whole step")
            notes.append(", ".join(parts) + ".")
    al = s["allocations"]
    if 6 in cases and al and al.get("measured"):
        for run in al["runs"]:
            if run["per_step"] > 0:
                notes.append(f"Allocations, {run['shards']} shard(s): {fmt(run['per_step'])} per step on average, of which "
                             f"{fmt(run['apply_per_step'])} in applyStep; an epoch's first step (the shards reshuffle their "
                             f"order) makes {fmt(run['first_step_of_epoch_mean'])}, the other steps "
                             f"{fmt(run['other_steps_mean'])}.")
    return notes


if __name__ == "__main__":
    main()
