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

Cases (the names of the issue):
  1. seed job, one process       dlcoord --local vs keras_seed.py vs torch_seed.py
  2. seed job, four workers      dlcoord --workers 4 + 4 dlworker vs torch_ddp_seed.py --world 4 vs dlbench exchange
  3. large job                   samples/s: dlcoord --local, --workers 1, --workers 2 vs big_torch.py (1 thread, DDP x2)
  4. CSV loading                 dlbench csv vs load_bench.py (pandas.read_csv, numpy.loadtxt)
  5. peak memory, large job      coordinator and worker RSS against the data's size
  6. allocations per step        dlbench allocations under bench/malloc_count.so
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".build"
BENCH = BUILD / "bench"
RELEASE = BUILD / "release"
LOGS = BENCH / "logs"
RUNS = BENCH / "runs"
MALLOC_SO = BUILD / "malloc_count.so"
ANCHORS_VENV = BUILD / "anchors-venv"
SEED_CSV = ROOT / "dataset" / "ThoraricSurgery.csv"

SEED_EPOCHS, SEED_BATCH = 100, 10
LARGE_EPOCHS, LARGE_BATCH = 3, 256
LARGE_LAYERS = "256:relu,256:relu,1:sigmoid"
SEED_PARAMETERS = 17 * 30 + 30 + 30 + 1  # 571 floats: what a seed-job step sends each way
LARGE_PARAMETERS = 64 * 256 + 256 + 256 * 256 + 256 + 256 + 1  # 82,689 floats

# Each anchor script, the modules it imports, and the arguments that set its threads as the
# anchors' README describes its figures: Keras and torch_seed with their defaults, DDP one thread
# per process, the large job with one thread (and DDP 2 x 1 thread).
ANCHOR_MODULES = {
    "keras_seed.py": ["tensorflow", "numpy"],
    "torch_seed.py": ["torch", "numpy"],
    "torch_ddp_seed.py": ["torch", "numpy"],
    "big_torch.py": ["torch", "numpy", "pandas"],
    "load_bench.py": ["numpy", "pandas"],
}
DISTRIBUTIONS = {
    "tensorflow": ["tensorflow-cpu", "tensorflow"], "keras": ["keras"], "torch": ["torch"],
    "numpy": ["numpy"], "pandas": ["pandas"],
}

# ----------------------------------------------------------------------------------------------
# Running processes and measuring them


class Spec:
    """One process to start: a name (for logs and results), argv, environment, working directory."""

    def __init__(self, name, argv, env=None, cwd=ROOT):
        self.name, self.argv, self.env, self.cwd = name, [str(a) for a in argv], env, cwd


def cpu_busy_seconds():
    """CPU time the whole machine has spent busy (all processes, all cores), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, idle, iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def run_group(tag, specs, timeout, ready=None):
    """Starts specs[0], waits until `ready()` (if given) says it is listening, starts the others, and
    reaps them all with os.wait4. Returns one record per process: wall seconds (its own, start to
    exit), peak RSS in MiB (ru_maxrss, its own; for a process that waited for children of its own,
    the largest of them), exit status, and its output (stdout and stderr logs)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    procs, starts, files = {}, {}, []

    def start(spec):
        out = open(LOGS / f"{tag}.{spec.name}.out", "w+")
        err = open(LOGS / f"{tag}.{spec.name}.err", "w+")
        files.extend([out, err])
        t = time.perf_counter()
        p = subprocess.Popen(spec.argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=spec.env,
                             cwd=spec.cwd, start_new_session=True)
        procs[p.pid] = (spec, p, out, err)
        starts[p.pid] = t
        return p

    early = {}  # processes reaped while waiting for the first to be ready
    busy_before = cpu_busy_seconds()

    first = start(specs[0])
    if ready is not None and len(specs) > 1:
        deadline = time.perf_counter() + 20
        while not ready() and time.perf_counter() < deadline:
            pid, status, usage = os.wait4(first.pid, os.WNOHANG)
            if pid:
                early[pid] = (status, usage, time.perf_counter())
                break
            time.sleep(0.001)
    for spec in specs[1:]:
        start(spec)

    timed_out = []

    def kill_all():
        timed_out.append(True)
        for pid in list(procs):
            try:
                os.killpg(pid, 9)  # each process leads its own session: it and its own children
            except (ProcessLookupError, PermissionError):
                pass

    timer = threading.Timer(timeout, kill_all)
    timer.start()
    records, pending = {}, set(procs)
    try:
        while pending:
            if early:
                pid, (status, usage, end) = early.popitem()
            else:
                try:
                    pid, status, usage = os.wait4(-1, 0)
                except ChildProcessError:
                    break
                end = time.perf_counter()
            if pid not in pending:
                continue
            pending.discard(pid)
            spec, p, out, err = procs[pid]
            p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
            records[pid] = dict(name=spec.name, argv=spec.argv, wall_s=end - starts[pid],
                                rss_mib=usage.ru_maxrss / 1024, exit=p.returncode,
                                user_s=usage.ru_utime, sys_s=usage.ru_stime, end=end, start=starts[pid])
    finally:
        timer.cancel()
    busy_after = cpu_busy_seconds()
    group_start = min(starts.values())
    group_end = max(r["end"] for r in records.values())
    results = []
    for pid, (spec, p, out, err) in procs.items():
        out.seek(0)
        err.seek(0)
        r = records[pid]
        r["stdout"], r["stderr_tail"] = out.read(), err.read()[-2000:]
        r["timed_out"] = bool(timed_out)
        del r["end"], r["start"]
        results.append(r)
    for f in files:
        f.close()
    ours = sum(r["user_s"] + r["sys_s"] for r in results)
    # CPU time other processes took meanwhile (the machine is shared): large values mean noisy figures.
    other = None if busy_before is None or busy_after is None else max(0.0, busy_after - busy_before - ours)
    return dict(wall_s=group_end - group_start, processes=results, other_cpu_s=other,
                ok=all(r["exit"] == 0 for r in results) and not timed_out)


def wait_until_idle(limit, threshold=0.15, window=0.5):
    """Waits (at most `limit` seconds) until other processes use less than `threshold` cores."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        before = cpu_busy_seconds()
        time.sleep(window)
        after = cpu_busy_seconds()
        if before is None or after is None or (after - before) / window < threshold:
            return


def result_line(text):
    """The last `RESULT {json}` line of a process's output, parsed."""
    found = None
    for line in text.splitlines():
        if line.startswith("RESULT "):
            found = json.loads(line[len("RESULT "):])
    return found


def failure(tag, group):
    bad = [p for p in group["processes"] if p["exit"] != 0] or group["processes"]
    p = bad[0]
    why = "timed out" if p["timed_out"] else f"exit {p['exit']}"
    tail = " | ".join(p["stderr_tail"].strip().splitlines()[-3:])
    return f"{tag}: {p['name']} {why}: {tail}"


# ----------------------------------------------------------------------------------------------
# Environment: build, anchors' interpreters, machine facts


def sh(argv, **kw):
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)


def build():
    print("== swift build -c release", flush=True)
    t = time.perf_counter()
    r = subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, capture_output=True, text=True)
    (LOGS / "swift-build.log").write_text(r.stdout + r.stderr)
    if r.returncode != 0:
        sys.exit("swift build -c release failed:\n" + (r.stdout + r.stderr)[-4000:])
    print(f"   built in {time.perf_counter() - t:.0f} s", flush=True)
    for tool in ("dlcoord", "dlworker", "dlbench"):
        if not (RELEASE / tool).exists():
            sys.exit(f"{RELEASE / tool} is missing after the build (is the dlbench target in Package.swift?)")
    cc = shutil.which("cc")
    if cc is None:
        print("   no C compiler: allocations will be 'not measured'")
        return False
    r = sh([cc, "-shared", "-fPIC", "-O2", "-o", MALLOC_SO, ROOT / "bench" / "malloc_count.c", "-ldl"], cwd=ROOT)
    if r.returncode != 0:
        print("   cannot build bench/malloc_count.c: " + r.stderr.strip()[-500:])
        return False
    return True


def install_anchors():
    print(f"== installing the anchors' packages into {ANCHORS_VENV} (tensorflow-cpu, pandas, numpy, torch)", flush=True)
    if not (ANCHORS_VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(ANCHORS_VENV)], check=True)
    pip = [str(ANCHORS_VENV / "bin" / "python"), "-m", "pip"]
    subprocess.run(pip + ["install", "--upgrade", "pip"], check=True)
    subprocess.run(pip + ["install", "tensorflow-cpu", "pandas", "numpy", "torch"], check=True)


PROBE = r"""
import importlib.util, importlib.metadata, json, platform, sys
dists = json.loads(sys.argv[1])
out = {"python": platform.python_version(), "modules": {}}
for module, names in dists.items():
    if importlib.util.find_spec(module) is None:
        continue
    version = "?"
    for name in names:
        try:
            version = importlib.metadata.version(name); break
        except importlib.metadata.PackageNotFoundError:
            pass
    out["modules"][module] = version
print(json.dumps(out))
"""


def probe_interpreters(extra):
    candidates = list(extra) + [str(ANCHORS_VENV / "bin" / "python"), sys.executable]
    found = []
    for python in candidates:
        if not Path(python).exists() or any(python == f["python_path"] for f in found):
            continue
        r = sh([python, "-c", PROBE, json.dumps(DISTRIBUTIONS)])
        if r.returncode == 0:
            info = json.loads(r.stdout)
            info["python_path"] = python
            found.append(info)
    return found


def interpreter_for(script, interpreters):
    needs = ANCHOR_MODULES[script]
    for info in interpreters:
        if all(m in info["modules"] for m in needs):
            return info
    return None


def anchor_env():
    env = dict(os.environ)
    # Set on some processors for old OpenBLAS builds; they slow a current numpy (see the machine notes).
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


def machine_facts(interpreters):
    cpu, flags = "?", set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and cpu == "?":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    lscpu = sh(["lscpu"]).stdout if shutil.which("lscpu") else ""
    family = re.search(r"CPU family:\s*(\S+)", lscpu)
    model = re.search(r"^Model:\s*(\S+)", lscpu, re.M)
    hypervisor = re.search(r"Hypervisor vendor:\s*(\S+)", lscpu)
    detail = []
    if family and model:
        detail.append(f"family {family.group(1)} model {model.group(1)}")
    if hypervisor:
        detail.append(f"{hypervisor.group(1)} guest")
    detail.append(" ".join(f for f in ("avx2", "fma", "avx512f") if f in flags))
    os_name = platform.platform()
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip().strip('"') + f", Linux {platform.release()}"
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    swift = sh(["swift", "--version"])
    swift_version = (swift.stdout + swift.stderr).strip().splitlines()[0] if swift.returncode == 0 else "?"
    commit = sh(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"]).stdout.strip() or "?"

    used = [i for i in (interpreter_for(script, interpreters) for script in ANCHOR_MODULES) if i is not None]

    def version(module):
        versions = sorted({i["modules"][module] for i in used if module in i["modules"]})
        return ", ".join(versions) if versions else "not installed"

    return dict(cpu=f"{cpu} ({'; '.join(d for d in detail if d)})", cores=os.cpu_count(), memory=mem, os=os_name,
                swift=swift_version, python_driver=platform.python_version(),
                python_anchors=", ".join(sorted({f"{i['python']} ({i['python_path']})" for i in used})) or "none",
                tensorflow=version("tensorflow"), keras=version("keras"), torch=version("torch"),
                numpy=version("numpy"), pandas=version("pandas"), commit=commit,
                date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


# ----------------------------------------------------------------------------------------------
# The cases


def data_rows(path):
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def fresh_run_dir(tag):
    d = RUNS / tag
    shutil.rmtree(d, ignore_errors=True)
    d.parent.mkdir(parents=True, exist_ok=True)
    return d


def epochs_seconds(run_dir):
    """The summed epoch `seconds` of a run's metrics.jsonl, and how many epochs it has."""
    lines = [json.loads(l) for l in open(run_dir / "metrics.jsonl") if l.strip()]
    return sum(l["seconds"] for l in lines), len(lines), lines[-1]


def ipc_dir():
    # ipc paths are limited to 107 bytes: a short directory in /tmp.
    return Path(tempfile.mkdtemp(prefix="dlb-", dir="/tmp"))


class Bench:
    def __init__(self, args):
        self.args = args
        self.records = []  # every run, for results.json
        self.errors = []
        self.load = []  # per measured group: its case, wall time, and other processes' CPU time
        self.counter = 0

    def run(self, case, tag, specs, timeout, ready=None):
        """run_group, keeping how busy other processes kept the machine meanwhile."""
        if self.args.wait_idle > 0:
            wait_until_idle(self.args.wait_idle)
        g = run_group(tag, specs, timeout, ready)
        self.load.append(dict(case=case, tag=tag, wall_s=g["wall_s"], other_cpu_s=g["other_cpu_s"]))
        return g

    def tag(self, name):
        self.counter += 1
        return f"{self.counter:03d}-{name}"

    def note(self, text):
        print("   " + text, flush=True)

    def keep(self, case, variant, rep, data):
        data = dict(case=case, variant=variant, rep=rep, **data)
        self.records.append(data)
        return data

    # dltrain in one process
    def dlcoord_local(self, case, variant, rep, extra, timeout, steps_per_epoch):
        tag = self.tag(variant)
        run_dir = fresh_run_dir(tag)
        g = self.run(case, tag, [Spec("dlcoord", [RELEASE / "dlcoord", "--local", "--verbose", "0", "--run-dir", run_dir, *extra])],
                     timeout)
        if not g["ok"]:
            self.errors.append(failure(tag, g))
            return None
        fit, epochs, last = epochs_seconds(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
        p = g["processes"][0]
        return self.keep(case, variant, rep, dict(wall_s=g["wall_s"], rss_mib=p["rss_mib"], fit_s=fit, epochs=epochs,
                                                  step_us=fit / (epochs * steps_per_epoch) * 1e6, final=last,
                                                  cpu_s=p["user_s"] + p["sys_s"]))

    # dltrain with hand-started workers, or --spawn
    def dlcoord_cluster(self, case, variant, rep, workers, extra, timeout, steps_per_epoch, spawn=False):
        tag = self.tag(variant)
        run_dir = fresh_run_dir(tag)
        d = ipc_dir()
        socket = d / "coordinator.ipc"
        endpoint = f"ipc://{socket}"
        # --verbose 2: one line per epoch, and the workers' compute time per step in the log at the end.
        coord = [RELEASE / "dlcoord", "--workers", workers, "--verbose", "2", "--run-dir", run_dir, *extra]
        specs = [Spec("coordinator", coord + (["--spawn"] if spawn else ["--bind", endpoint]))]
        if not spawn:
            specs += [Spec(f"worker{k + 1}", [RELEASE / "dlworker", "--connect", endpoint, "--name", f"bench-worker-{k + 1}"])
                      for k in range(workers)]
        try:
            g = self.run(case, tag, specs, timeout, ready=lambda: socket.exists())
        finally:
            shutil.rmtree(d, ignore_errors=True)
        if not g["ok"]:
            self.errors.append(failure(tag, g))
            return None
        fit, epochs, last = epochs_seconds(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
        coordinator = g["processes"][0]
        worker_rss = [p["rss_mib"] for p in g["processes"][1:]]
        found = re.search(r"per-worker compute in the last epoch: (.*)", coordinator["stderr_tail"])
        compute = [float(x) for x in re.findall(r"([0-9.]+) ms/step", found.group(1))] if found else []
        return self.keep(case, variant, rep, dict(
            wall_s=g["wall_s"], rss_mib=coordinator["rss_mib"], worker_rss_mib=max(worker_rss) if worker_rss else None,
            worker_rss_all=worker_rss, total_rss_mib=coordinator["rss_mib"] + sum(worker_rss), fit_s=fit, epochs=epochs,
            step_us=fit / (epochs * steps_per_epoch) * 1e6, final=last,
            worker_compute_us=1000 * statistics.mean(compute) if compute else None,
            coordinator_cpu_s=coordinator["user_s"] + coordinator["sys_s"],
            worker_cpu_s=[p["user_s"] + p["sys_s"] for p in g["processes"][1:]],
            cpu_s=sum(p["user_s"] + p["sys_s"] for p in g["processes"])))

    def anchor(self, case, variant, rep, script, argv, timeout, interpreters):
        info = interpreter_for(script, interpreters)
        if info is None or self.args.anchors is None:
            return None
        tag = self.tag(variant)
        g = self.run(case, tag, [Spec(script, [info["python_path"], self.args.anchors / script, *argv], env=anchor_env())], timeout)
        p = g["processes"][0]
        result = result_line(p["stdout"])
        if not g["ok"]:
            if result is None or p["timed_out"]:
                self.errors.append(failure(tag, g))
                return None
            # Finished its job and reported, then failed while shutting down (gloo's teardown does so
            # now and then): the figures stand, the exit is noted.
            self.errors.append(failure(tag, g) + " — after printing its RESULT, which is kept")
        if result is None:
            self.errors.append(f"{tag}: no RESULT line")
            return None
        return self.keep(case, variant, rep, dict(wall_s=g["wall_s"], rss_mib=p["rss_mib"], result=result,
                                                  cpu_s=p["user_s"] + p["sys_s"]))

    def exchange(self, case, variant, rep, workers, floats, rounds):
        tag = self.tag(variant)
        d = ipc_dir()
        socket = d / "exchange.ipc"
        endpoint = f"ipc://{socket}"
        common = ["--endpoint", endpoint, "--floats", floats]
        specs = [Spec("coordinator", [RELEASE / "dlbench", "exchange", "--role", "coordinator", "--workers", workers,
                                      "--rounds", rounds, *common])]
        specs += [Spec(f"worker{k + 1}", [RELEASE / "dlbench", "exchange", "--role", "worker", *common]) for k in range(workers)]
        try:
            g = self.run(case, tag, specs, 300, ready=lambda: socket.exists())
        finally:
            shutil.rmtree(d, ignore_errors=True)
        if not g["ok"]:
            self.errors.append(failure(tag, g))
            return None
        return self.keep(case, variant, rep, dict(result=result_line(g["processes"][0]["stdout"])))

    def single(self, case, variant, rep, argv, timeout, env=None):
        tag = self.tag(variant)
        g = self.run(case, tag, [Spec(variant, argv, env=env)], timeout)
        if not g["ok"]:
            self.errors.append(failure(tag, g))
            return None
        p = g["processes"][0]
        return self.keep(case, variant, rep, dict(wall_s=g["wall_s"], rss_mib=p["rss_mib"], result=result_line(p["stdout"])))


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def rounds(reps, rotation):
    """Repetition order: every variant once per round, starting at a different one each round."""
    for rep in range(reps):
        k = rep % len(rotation)
        yield rep, rotation[k:] + rotation[:k]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--install-anchors", action="store_true",
                    help="create .build/anchors-venv and pip-install tensorflow-cpu, pandas, numpy, torch into it")
    ap.add_argument("--reps", type=int, default=5, help="repetitions of every measurement (default 5)")
    ap.add_argument("--quick", action="store_true",
                    help="1 repetition, a 20,000-row synthetic file, shorter loops: for trying the script")
    ap.add_argument("--python", action="append", default=[], metavar="PATH",
                    help="a Python with anchor packages, tried before .build/anchors-venv (repeatable)")
    ap.add_argument("--anchors", type=Path, default=ROOT.parent / "shared" / "anchors",
                    help="the anchors' scripts (default ../shared/anchors)")
    ap.add_argument("--cases", default="1,2,3,4,5,6", help="the cases to run, e.g. 1,3 (default all)")
    ap.add_argument("--out", type=Path, default=None,
                    help="the Markdown report (default docs/benchmarks.md; .build/bench/benchmarks.md for --quick or --cases)")
    ap.add_argument("--no-build", action="store_true", help="use the release binaries as they are")
    ap.add_argument("--from-results", type=Path, default=None, metavar="JSON",
                    help="measure nothing: render the report again from a results.json of an earlier run")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="S",
                    help="before each run, wait up to S seconds for other processes to leave the CPUs idle (default 0)")
    args = ap.parse_args()
    if args.from_results:
        rerender(args)
        return
    cases = {int(c) for c in args.cases.split(",") if c.strip()}
    full = not args.quick and cases == {1, 2, 3, 4, 5, 6}
    if args.quick:
        args.reps = 1
    if args.reps < 1:
        sys.exit("--reps must be at least 1")
    out_md = args.out or (ROOT / "docs" / "benchmarks.md" if full else BENCH / "benchmarks.md")
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
    synth = BENCH / f"synth_{rows}_64.csv"
    if not synth.exists():
        print(f"== dlbench gen-synth --rows {rows} --features 64 --seed 12345 --out {synth.relative_to(ROOT)}", flush=True)
        r = sh([RELEASE / "dlbench", "gen-synth", "--rows", rows, "--features", 64, "--seed", 12345, "--out", synth])
        if r.returncode != 0:
            sys.exit("gen-synth failed: " + r.stderr)
        print("   " + r.stdout.splitlines()[0], flush=True)
    synth_bytes = synth.stat().st_size
    seed_rows = data_rows(SEED_CSV)
    seed_steps = math.ceil(seed_rows / SEED_BATCH)
    large_steps = math.ceil(rows / LARGE_BATCH)
    large_args = ["--data", synth, "--no-header", "--layers", LARGE_LAYERS, "--loss", "binary_crossentropy",
                  "--batch-size", LARGE_BATCH, "--epochs", LARGE_EPOCHS]
    b = Bench(args)
    reps = args.reps
    seed_csv = ["--csv", SEED_CSV]

    if 1 in cases:
        print("== 1. seed job, one process", flush=True)
        for rep, order in rounds(reps, ["dltrain", "dltrain-ckpt", "keras", "torch"]):
            for v in order:
                if v == "dltrain":
                    r = b.dlcoord_local(1, "dltrain", rep, [], 120, seed_steps)
                elif v == "dltrain-ckpt":
                    r = b.dlcoord_local(1, "dltrain-ckpt-end", rep, ["--checkpoint-every", SEED_EPOCHS], 120, seed_steps)
                elif v == "keras":
                    r = b.anchor(1, "keras", rep, "keras_seed.py", ["--verbose", "0", *seed_csv], 300, interpreters)
                else:
                    r = b.anchor(1, "torch", rep, "torch_seed.py", seed_csv, 300, interpreters)
                if r:
                    b.note(f"rep {rep + 1} {r['variant']}: wall {r['wall_s']:.3f} s, RSS {r['rss_mib']:.0f} MiB")

    if 2 in cases:
        print("== 2. seed job, four workers", flush=True)
        for rep, order in rounds(reps, ["dltrain", "spawn", "ddp", "exchange"]):
            for v in order:
                if v == "dltrain":
                    r = b.dlcoord_cluster(2, "dltrain-w4", rep, 4, [], 300, seed_steps)
                elif v == "spawn":
                    r = b.dlcoord_cluster(2, "dltrain-w4-spawn", rep, 4, [], 300, seed_steps, spawn=True)
                elif v == "ddp":
                    r = b.anchor(2, "torch-ddp4", rep, "torch_ddp_seed.py", ["--world", "4", "--threads", "1", *seed_csv],
                                 600, interpreters)
                else:
                    r = b.exchange(2, "exchange-w4", rep, 4, SEED_PARAMETERS, 300 if args.quick else 3000)
                if r:
                    extra = f"wall {r['wall_s']:.3f} s" if "wall_s" in r else f"median {r['result']['us_median']} us/round"
                    b.note(f"rep {rep + 1} {r['variant']}: {extra}")

    if 3 in cases or 5 in cases:
        print("== 3. large job (and 5. its memory)", flush=True)
        for rep, order in rounds(reps, ["local", "w1", "w2", "torch1", "ddp2", "ex1", "ex2"]):
            for v in order:
                if v == "local":
                    r = b.dlcoord_local(3, "dltrain-large", rep, large_args, 900, large_steps)
                elif v == "w1":
                    r = b.dlcoord_cluster(3, "dltrain-large-w1", rep, 1, large_args, 900, large_steps)
                elif v == "w2":
                    r = b.dlcoord_cluster(3, "dltrain-large-w2", rep, 2, large_args, 900, large_steps)
                elif v == "torch1":
                    r = b.anchor(3, "torch-large-1t", rep, "big_torch.py", ["--csv", synth, "--threads", "1"], 900, interpreters)
                elif v == "ddp2":
                    r = b.anchor(3, "torch-large-ddp2", rep, "big_torch.py", ["--csv", synth, "--world", "2", "--threads", "1"],
                                 900, interpreters)
                else:
                    n = 1 if v == "ex1" else 2
                    r = b.exchange(3, f"exchange-large-w{n}", rep, n, LARGE_PARAMETERS, 100 if args.quick else 500)
                if r and "wall_s" in r:
                    b.note(f"rep {rep + 1} {r['variant']}: wall {r['wall_s']:.2f} s, RSS {r['rss_mib']:.0f} MiB")
                elif r:
                    b.note(f"rep {rep + 1} {r['variant']}: median {r['result']['us_median']} us/round")

    if 4 in cases:
        print("== 4. CSV loading", flush=True)
        r = b.single(4, "dlbench-csv", 0, [RELEASE / "dlbench", "csv", "--path", synth, "--reps", reps], 600)
        if r:
            b.note(f"dlbench csv: median {r['result']['MB_per_s_median']} MB/s, best {r['result']['MB_per_s_best']} MB/s")
        info = interpreter_for("load_bench.py", interpreters)
        if info and args.anchors:
            tag = b.tag("load_bench")
            g = b.run(4, tag, [Spec("load_bench.py", [info["python_path"], args.anchors / "load_bench.py", "--csv", synth,
                                                       "--reps", reps], env=anchor_env())], 1200)
            if g["ok"]:
                for line in g["processes"][0]["stdout"].splitlines():
                    if line.startswith("RESULT "):
                        res = json.loads(line[7:])
                        b.keep(4, "load_bench", 0, dict(result=res))
                        b.note(f"{res['case']}: median {res['MB_per_s_median']} MB/s")
            else:
                b.errors.append(failure(tag, g))

    if 6 in cases:
        print("== 6. allocations per step", flush=True)
        env = dict(os.environ)
        if counter_built and MALLOC_SO.exists():
            env["LD_PRELOAD"] = str(MALLOC_SO)
        steps = 500 if args.quick else 2000
        r = b.single(6, "allocations", 0, [RELEASE / "dlbench", "allocations", "--steps", steps, "--data", SEED_CSV], 300,
                     env=env)
        if r:
            for run in r["result"].get("runs", []):
                b.note(f"{run['shards']} shard(s): {run['per_step']:.2f} allocations per step")

    summary = summarize(b.records, b.load, dict(seed_rows=seed_rows, seed_steps=seed_steps, rows=rows, large_steps=large_steps,
                                        synth_bytes=synth_bytes, synth=str(synth.relative_to(ROOT)), reps=reps),
                        interpreters, args)
    report = render(summary, machine, command, b.errors, cases, args.quick)
    print()
    print(report)
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.write_text(report)
    (BENCH / "results.json").write_text(json.dumps(dict(machine=machine, command=command, cases=sorted(cases),
                                                        quick=args.quick, summary=summary, errors=b.errors,
                                                        runs=b.records), indent=1, default=str))
    print(f"wrote {out_md.relative_to(ROOT) if out_md.is_relative_to(ROOT) else out_md} and "
          f"{(BENCH / 'results.json').relative_to(ROOT)}")


# ----------------------------------------------------------------------------------------------
# Summaries: medians over repetitions


CLUSTER_VARIANTS = ("dltrain-w4", "dltrain-w4-spawn", "dltrain-large-w1", "dltrain-large-w2")


def fit_range(records, variant):
    """The shortest and longest training time over a variant's repetitions."""
    fits = [r["fit_s"] for r in records if r.get("variant") == variant and r.get("fit_s")]
    return (min(fits), max(fits)) if fits else (None, None)


def summarize(records, load, facts, interpreters, args):
    def of(variant):
        return [r for r in records if r["variant"] == variant]

    def m(variant, key, sub=None):
        rs = of(variant)
        if not rs:
            return None
        return med([(r.get(key) if sub is None else (r.get(key) or {}).get(sub)) for r in rs])

    def status(script):
        if args.anchors is None:
            return "anchors not found"
        if interpreter_for(script, interpreters) is None:
            return "not installed"
        return "ok"

    s = dict(facts=facts, anchors={k: status(k) for k in ANCHOR_MODULES})
    s["other_load"] = {}
    for case in sorted({l["case"] for l in load}):
        ls = [l for l in load if l["case"] == case and l["other_cpu_s"] is not None]
        wall = sum(l["wall_s"] for l in ls)
        s["other_load"][case] = dict(other_cpu_s=sum(l["other_cpu_s"] for l in ls), wall_s=wall,
                                     cores=sum(l["other_cpu_s"] for l in ls) / wall if wall else None,
                                     worst=max((l["other_cpu_s"] / l["wall_s"] for l in ls if l["wall_s"]), default=None))
    for v in ("dltrain", "dltrain-ckpt-end", "dltrain-large"):
        s[v] = dict(n=len(of(v)), wall_s=m(v, "wall_s"), rss_mib=m(v, "rss_mib"), fit_s=m(v, "fit_s"),
                    step_us=m(v, "step_us"), cpu_s=m(v, "cpu_s"))
    for v in CLUSTER_VARIANTS:
        s[v] = dict(n=len(of(v)), wall_s=m(v, "wall_s"), rss_mib=m(v, "rss_mib"), worker_rss_mib=m(v, "worker_rss_mib"),
                    total_rss_mib=m(v, "total_rss_mib"), fit_s=m(v, "fit_s"), step_us=m(v, "step_us"), cpu_s=m(v, "cpu_s"),
                    worker_compute_us=m(v, "worker_compute_us"), coordinator_cpu_s=m(v, "coordinator_cpu_s"),
                    worker_cpu_s=med([max(r["worker_cpu_s"]) if r.get("worker_cpu_s") else None for r in of(v)]),
                    fit_range=fit_range(records, v))
    for v in ("keras", "torch", "torch-ddp4", "torch-large-1t", "torch-large-ddp2"):
        s[v] = dict(n=len(of(v)), wall_s=m(v, "wall_s"), rss_mib=m(v, "rss_mib"), fit_s=m(v, "result", "fit_s"),
                    cpu_s=m(v, "cpu_s"))
    s["torch"]["step_us"] = m("torch", "result", "step_us")
    s["torch-ddp4"]["step_us"] = m("torch-ddp4", "result", "step_us_fit")
    s["torch-ddp4"]["steps"] = m("torch-ddp4", "result", "steps_rank0")
    if s["keras"]["fit_s"] is not None:
        s["keras"]["step_us"] = s["keras"]["fit_s"] / (SEED_EPOCHS * facts["seed_steps"]) * 1e6
    for v in ("torch-large-1t", "torch-large-ddp2"):
        s[v]["samples_per_s"] = m(v, "result", "samples_per_s_fit")
        s[v]["load_s"] = m(v, "result", "load_s")
    samples = facts["rows"] * LARGE_EPOCHS
    for v in ("dltrain-large", "dltrain-large-w1", "dltrain-large-w2"):
        s[v]["samples_per_s"] = samples / s[v]["fit_s"] if s[v]["fit_s"] else None
    # dltrain's time per step is a mean (the epochs' seconds over their steps), so the exchange's
    # mean round is what it is compared with; the median and 90th percentile show the spread.
    s["exchange"] = dict(n=len(of("exchange-w4")), us_mean=m("exchange-w4", "result", "us_mean"),
                         us_median=m("exchange-w4", "result", "us_median"), us_p90=m("exchange-w4", "result", "us_p90"))
    for n in (1, 2):
        v = f"exchange-large-w{n}"
        s[v] = dict(n=len(of(v)), us_mean=m(v, "result", "us_mean"), us_median=m(v, "result", "us_median"),
                    us_p90=m(v, "result", "us_p90"))
    for v in ("torch-large-1t", "torch-large-ddp2"):
        s[v]["step_us"] = 1000 * m(v, "result", "step_ms") if m(v, "result", "step_ms") is not None else None
    csv = of("dlbench-csv")
    s["csv"] = csv[0]["result"] if csv and csv[0].get("result") else None
    s["load_bench"] = {r["result"]["case"]: r["result"] for r in of("load_bench")}
    alloc = of("allocations")
    s["allocations"] = alloc[0]["result"] if alloc and alloc[0].get("result") else None
    return s


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


def rerender(args):
    data = json.loads(args.from_results.read_text())
    cases = set(data.get("cases", [1, 2, 3, 4, 5, 6]))
    quick = data.get("quick", False)
    summary = data["summary"]
    # JSON turned the integer case keys into strings.
    summary["other_load"] = {int(k): v for k, v in summary.get("other_load", {}).items()}
    # Results written before the spread was summarized still hold the runs it comes from.
    for v in CLUSTER_VARIANTS:
        summary[v].setdefault("fit_range", fit_range(data.get("runs", []), v))
    report = render(summary, data["machine"], data["command"], data["errors"], cases, quick)
    full = not quick and cases == {1, 2, 3, 4, 5, 6}
    out = args.out or (ROOT / "docs" / "benchmarks.md" if full else BENCH / "benchmarks.md")
    out.write_text(report)
    print(report)
    print(f"wrote {out}")


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
