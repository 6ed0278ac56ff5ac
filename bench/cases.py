"""The benchmark's cases: how each kind of run is started and measured (dltrain in one process, dltrain
with workers, an anchor script, the raw exchange, a dlbench tool), and which runs each case makes.

Every case runs its variants in turn, repetition after repetition, the first variant rotating, so slow
drifts of the shared machine touch them alike; the heavy runs never overlap."""

import json
import os
import re
import shutil
import socket
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from environment import anchor_env, interpreter_for
from harness import ProcessSpec, failure_text, result_line, run_processes, wait_until_idle
from settings import (AUDIT_FRACTION, FLOOD_BYTES_PER_CONNECTION, FLOOD_CONNECTIONS, FLOOD_EPOCHS, LARGE_BATCH,
                      LARGE_EPOCHS, LARGE_LAYERS, LARGE_PARAMETERS, MALLOC_SO, RELEASE, RUNS, SEED_CSV, SEED_EPOCHS, SEED_PARAMETERS)


@dataclass(frozen=True)
class Jobs:
    """The inputs of this invocation's jobs: the large job's synthetic CSV, the steps of an epoch, and the
    thread count dltrain takes by default here."""
    synth: Path
    seed_steps: int
    large_steps: int
    default_threads: int


def fresh_run_dir(tag):
    run_dir = RUNS / tag
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    return run_dir


def epochs_seconds(run_dir):
    """The summed epoch `seconds` of a run's metrics.jsonl, how many epochs it has, and the last one."""
    epochs = [json.loads(line) for line in open(run_dir / "metrics.jsonl") if line.strip()]
    return sum(epoch["seconds"] for epoch in epochs), len(epochs), epochs[-1]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def job_secret(directory):
    """A new secret file in `directory`, private to this user (mkstemp makes it 0600) as dltrain requires."""
    descriptor, path = tempfile.mkstemp(prefix="job-", suffix=".secret", dir=directory)
    with os.fdopen(descriptor, "w") as secret:
        secret.write(os.urandom(32).hex())
    return Path(path)


def ipc_dir():
    # ipc paths are limited to 107 bytes: a short directory in /tmp.
    return Path(tempfile.mkdtemp(prefix="dlb-", dir="/tmp"))


def cpu_seconds(process):
    return process["user_s"] + process["sys_s"]


def logged_compute_us(coordinator):
    """The workers' mean compute per step in the last epoch, from the coordinator's log (--verbose 2)."""
    logged = re.search(r"per-worker compute in the last epoch: (.*)", coordinator["stderr_tail"])
    compute_ms = [float(ms) for ms in re.findall(r"([0-9.]+) ms/step", logged.group(1))] if logged else []
    return 1000 * statistics.mean(compute_ms) if compute_ms else None


class CaseRunner:
    """Runs and measures the variants of the cases, keeping every run for results.json, the failures for
    the report, and how busy other processes kept the machine during each run."""

    def __init__(self, args, interpreters):
        self.args = args
        self.interpreters = interpreters
        self.records = []  # every run, for results.json
        self.errors = []
        self.load = []  # per measured group: its case, wall time, and other processes' CPU time
        self.runs_started = 0

    def run(self, case, tag, specs, timeout, ready=None):
        """run_processes, after waiting for an idle machine if asked, keeping the others' CPU use."""
        if self.args.wait_idle > 0:
            wait_until_idle(self.args.wait_idle)
        group = run_processes(tag, specs, timeout, ready)
        self.load.append(dict(case=case, tag=tag, wall_s=group["wall_s"], other_cpu_s=group["other_cpu_s"]))
        return group

    def next_tag(self, name):
        """A unique name for a run's logs, numbered in the order the runs start."""
        self.runs_started += 1
        return f"{self.runs_started:03d}-{name}"

    def say(self, text):
        print("   " + text, flush=True)

    def keep(self, case, variant, rep, data):
        data = dict(case=case, variant=variant, rep=rep, **data)
        self.records.append(data)
        return data

    def dlcoord_local(self, case, variant, rep, extra, timeout, steps_per_epoch):
        """dltrain in one process."""
        tag = self.next_tag(variant)
        run_dir = fresh_run_dir(tag)
        argv = [RELEASE / "dlcoord", "--local", "--verbose", "0", "--run-dir", run_dir, *extra]
        group = self.run(case, tag, [ProcessSpec("dlcoord", argv)], timeout)
        if not group["ok"]:
            self.errors.append(failure_text(tag, group))
            return None
        fit_s, epochs, last = epochs_seconds(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
        process = group["processes"][0]
        return self.keep(case, variant, rep, dict(wall_s=group["wall_s"], rss_mib=process["rss_mib"], fit_s=fit_s,
                                                  epochs=epochs, step_us=fit_s / (epochs * steps_per_epoch) * 1e6,
                                                  final=last, cpu_s=cpu_seconds(process)))

    def dlcoord_cluster(self, case, variant, rep, workers, extra, timeout, steps_per_epoch, spawn=False,
                        worker_flags=(), tcp=None, flood=False):
        """dltrain with `workers` hand-started dlworker processes (each given `worker_flags`), or with --spawn;
        over an ipc:// endpoint, or with `tcp` ("secret" or "insecure") over loopback TCP, every process
        given a secret file or --insecure; with `flood`, `dlbench flood` beside them, started with them."""
        tag = self.next_tag(variant)
        run_dir = fresh_run_dir(tag)
        socket_dir = ipc_dir()
        socket = socket_dir / "coordinator.ipc"
        if tcp is None:
            endpoint, security, ready = f"ipc://{socket}", [], lambda: socket.exists()
        else:
            # The workers retry until the coordinator listens: no readiness to wait for.
            endpoint, ready = f"tcp://127.0.0.1:{free_port()}", None
            security = ["--secret-file", job_secret(socket_dir)] if tcp == "secret" else ["--insecure"]
        # --verbose 2: one line per epoch, and the workers' compute time per step in the log at the end.
        coordinator_argv = [RELEASE / "dlcoord", "--workers", workers, "--verbose", "2", "--run-dir", run_dir,
                            *security, *extra]
        specs = [ProcessSpec("coordinator", coordinator_argv + (["--spawn"] if spawn else ["--bind", endpoint]))]
        if not spawn:
            specs += [ProcessSpec(f"worker{k + 1}", [RELEASE / "dlworker", "--connect", endpoint,
                                                     "--name", f"bench-worker-{k + 1}", *security, *worker_flags])
                      for k in range(workers)]
        if flood:
            specs.append(ProcessSpec("flood", [RELEASE / "dlbench", "flood", "--target", endpoint, "--connections",
                                               FLOOD_CONNECTIONS, "--junk-bytes",
                                               FLOOD_CONNECTIONS * FLOOD_BYTES_PER_CONNECTION]))
        try:
            group = self.run(case, tag, specs, timeout, ready=ready)
        finally:
            shutil.rmtree(socket_dir, ignore_errors=True)
        if not group["ok"]:
            self.errors.append(failure_text(tag, group))
            return None
        fit_s, epochs, last = epochs_seconds(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
        coordinator, workers_run = group["processes"][0], group["processes"][1:1 + workers]
        worker_rss = [process["rss_mib"] for process in workers_run]
        return self.keep(case, variant, rep, dict(
            wall_s=group["wall_s"], rss_mib=coordinator["rss_mib"], worker_rss_mib=max(worker_rss) if worker_rss else None,
            worker_rss_all=worker_rss, total_rss_mib=coordinator["rss_mib"] + sum(worker_rss), fit_s=fit_s,
            epochs=epochs, step_us=fit_s / (epochs * steps_per_epoch) * 1e6, final=last,
            worker_compute_us=logged_compute_us(coordinator),
            flood=result_line(group["processes"][-1]["stdout"]) if flood else None,
            coordinator_cpu_s=cpu_seconds(coordinator), worker_cpu_s=[cpu_seconds(process) for process in workers_run],
            cpu_s=sum(cpu_seconds(process) for process in group["processes"])))

    def anchor(self, case, variant, rep, script, argv, timeout, directory=None):
        """An anchor script (in `directory`, default --anchors) under the first Python that has its
        packages; None if there is none."""
        directory = directory or self.args.anchors
        info = interpreter_for(script, self.interpreters)
        if info is None or directory is None:
            return None
        tag = self.next_tag(variant)
        spec = ProcessSpec(script, [info["python_path"], directory / script, *argv], env=anchor_env())
        group = self.run(case, tag, [spec], timeout)
        process = group["processes"][0]
        result = result_line(process["stdout"])
        if not group["ok"]:
            if result is None or process["timed_out"]:
                self.errors.append(failure_text(tag, group))
                return None
            # Finished its job and reported, then failed while shutting down (gloo's teardown does so
            # now and then): the figures stand, the exit is noted.
            self.errors.append(failure_text(tag, group) + " — after printing its RESULT, which is kept")
        if result is None:
            self.errors.append(f"{tag}: no RESULT line")
            return None
        return self.keep(case, variant, rep, dict(wall_s=group["wall_s"], rss_mib=process["rss_mib"], result=result,
                                                  cpu_s=cpu_seconds(process)))

    def exchange(self, case, variant, rep, workers, floats, rounds, tcp=None):
        """`dlbench exchange`: the messages of a step, `floats` each way per worker, without the trainer; over an
        ipc:// endpoint, or with `tcp` ("secret" or "insecure") over loopback TCP, encrypted with a secret or not."""
        tag = self.next_tag(variant)
        socket_dir = ipc_dir()
        socket = socket_dir / "exchange.ipc"
        if tcp is None:
            endpoint, security, ready = f"ipc://{socket}", [], lambda: socket.exists()
        else:
            endpoint, ready = f"tcp://127.0.0.1:{free_port()}", None
            security = ["--secret-file", job_secret(socket_dir)] if tcp == "secret" else []
        common = ["--endpoint", endpoint, "--floats", floats, *security]
        specs = [ProcessSpec("coordinator", [RELEASE / "dlbench", "exchange", "--role", "coordinator",
                                             "--workers", workers, "--rounds", rounds, *common])]
        specs += [ProcessSpec(f"worker{k + 1}", [RELEASE / "dlbench", "exchange", "--role", "worker", *common])
                  for k in range(workers)]
        try:
            group = self.run(case, tag, specs, 300, ready=ready)
        finally:
            shutil.rmtree(socket_dir, ignore_errors=True)
        if not group["ok"]:
            self.errors.append(failure_text(tag, group))
            return None
        return self.keep(case, variant, rep, dict(result=result_line(group["processes"][0]["stdout"])))

    def single_process(self, case, variant, rep, argv, timeout, env=None):
        """One process whose wall time, memory and RESULT line are kept."""
        tag = self.next_tag(variant)
        group = self.run(case, tag, [ProcessSpec(variant, argv, env=env)], timeout)
        if not group["ok"]:
            self.errors.append(failure_text(tag, group))
            return None
        process = group["processes"][0]
        return self.keep(case, variant, rep, dict(wall_s=group["wall_s"], rss_mib=process["rss_mib"],
                                                  result=result_line(process["stdout"])))


def rotating_order(reps, variants):
    """Repetition order: every variant once per repetition, starting at a different one each time."""
    for rep in range(reps):
        first = rep % len(variants)
        yield rep, variants[first:] + variants[:first]


def run_in_rotation(runner, variants, describe):
    """Runs every variant (name -> function of the repetition) in rotating order, printing each run."""
    for rep, order in rotating_order(runner.args.reps, list(variants)):
        for name in order:
            run = variants[name](rep)
            if run:
                runner.say(f"rep {rep + 1} {run['variant']}: {describe(run)}")


def seed_job_one_process(runner, jobs):
    print("== 1. seed job, one process", flush=True)
    seed_csv = ["--csv", SEED_CSV]
    one_checkpoint = ["--checkpoint-every", SEED_EPOCHS]
    run_in_rotation(runner, {
        "dltrain": lambda rep: runner.dlcoord_local(1, "dltrain", rep, [], 120, jobs.seed_steps),
        "dltrain-ckpt": lambda rep: runner.dlcoord_local(1, "dltrain-ckpt-end", rep, one_checkpoint, 120,
                                                         jobs.seed_steps),
        "keras": lambda rep: runner.anchor(1, "keras", rep, "keras_seed.py", ["--verbose", "0", *seed_csv], 300),
        "torch": lambda rep: runner.anchor(1, "torch", rep, "torch_seed.py", seed_csv, 300),
    }, lambda run: f"wall {run['wall_s']:.3f} s, RSS {run['rss_mib']:.0f} MiB")


def seed_job_four_workers(runner, jobs):
    print("== 2. seed job, four workers", flush=True)
    ddp_argv = ["--world", "4", "--threads", "1", "--csv", SEED_CSV]
    exchange_rounds = 300 if runner.args.quick else 3000
    run_in_rotation(runner, {
        "dltrain": lambda rep: runner.dlcoord_cluster(2, "dltrain-w4", rep, 4, [], 300, jobs.seed_steps),
        "spawn": lambda rep: runner.dlcoord_cluster(2, "dltrain-w4-spawn", rep, 4, [], 300, jobs.seed_steps, spawn=True),
        "tcp-secret": lambda rep: runner.dlcoord_cluster(2, "dltrain-w4-tcp-secret", rep, 4, [], 300, jobs.seed_steps,
                                                         tcp="secret"),
        "tcp-insecure": lambda rep: runner.dlcoord_cluster(2, "dltrain-w4-tcp-insecure", rep, 4, [], 300,
                                                           jobs.seed_steps, tcp="insecure"),
        "tcp-long": lambda rep: runner.dlcoord_cluster(2, "dltrain-w4-tcp-long", rep, 4, ["--epochs", FLOOD_EPOCHS], 600,
                                                       jobs.seed_steps, tcp="secret"),
        "tcp-flood": lambda rep: runner.dlcoord_cluster(2, "dltrain-w4-tcp-flood", rep, 4, ["--epochs", FLOOD_EPOCHS], 600,
                                                        jobs.seed_steps, tcp="secret", flood=True),
        "audit": lambda rep: runner.dlcoord_cluster(2, "dltrain-w4-audit", rep, 4, ["--audit", AUDIT_FRACTION], 300,
                                                    jobs.seed_steps),
        "ddp": lambda rep: runner.anchor(2, "torch-ddp4", rep, "torch_ddp_seed.py", ddp_argv, 600),
        "exchange": lambda rep: runner.exchange(2, "exchange-w4", rep, 4, SEED_PARAMETERS, exchange_rounds),
        "exchange-tcp-secret": lambda rep: runner.exchange(2, "exchange-w4-tcp-secret", rep, 4, SEED_PARAMETERS,
                                                           exchange_rounds, tcp="secret"),
        "exchange-tcp-insecure": lambda rep: runner.exchange(2, "exchange-w4-tcp-insecure", rep, 4, SEED_PARAMETERS,
                                                             exchange_rounds, tcp="insecure"),
    }, lambda run: (f"wall {run['wall_s']:.3f} s" if "wall_s" in run
                    else f"median {run['result']['us_median']} us/round"))


def large_job_argv(jobs):
    return ["--data", jobs.synth, "--no-header", "--layers", LARGE_LAYERS, "--loss", "binary_crossentropy",
            "--batch-size", LARGE_BATCH, "--epochs", LARGE_EPOCHS]


def large_job(runner, jobs):
    """The large job's speed (case 3) and, from the same runs, its memory (case 5). Every dltrain process
    computes on one thread, as the PyTorch anchors beside it do; case 7 compares thread counts."""
    print("== 3. large job (and 5. its memory)", flush=True)
    one_thread = ["--threads", "1"]
    large_argv = large_job_argv(jobs) + one_thread
    exchange_rounds = 100 if runner.args.quick else 500
    run_in_rotation(runner, {
        "local": lambda rep: runner.dlcoord_local(3, "dltrain-large", rep, large_argv, 900, jobs.large_steps),
        "w1": lambda rep: runner.dlcoord_cluster(3, "dltrain-large-w1", rep, 1, large_argv, 900, jobs.large_steps,
                                                 worker_flags=one_thread),
        "w2": lambda rep: runner.dlcoord_cluster(3, "dltrain-large-w2", rep, 2, large_argv, 900, jobs.large_steps,
                                                 worker_flags=one_thread),
        "w2-audit": lambda rep: runner.dlcoord_cluster(3, "dltrain-large-w2-audit", rep, 2,
                                                       large_argv + ["--audit", AUDIT_FRACTION], 900, jobs.large_steps,
                                                       worker_flags=one_thread),
        "torch1": lambda rep: runner.anchor(3, "torch-large-1t", rep, "big_torch.py",
                                              ["--csv", jobs.synth, "--threads", "1"], 900),
        "ddp2": lambda rep: runner.anchor(3, "torch-large-ddp2", rep, "big_torch.py",
                                            ["--csv", jobs.synth, "--world", "2", "--threads", "1"], 900),
        "ex1": lambda rep: runner.exchange(3, "exchange-large-w1", rep, 1, LARGE_PARAMETERS, exchange_rounds),
        "ex2": lambda rep: runner.exchange(3, "exchange-large-w2", rep, 2, LARGE_PARAMETERS, exchange_rounds),
    }, lambda run: (f"wall {run['wall_s']:.2f} s, RSS {run['rss_mib']:.0f} MiB" if "wall_s" in run
                    else f"median {run['result']['us_median']} us/round"))


def csv_loading(runner, jobs):
    print("== 4. CSV loading", flush=True)
    reps = runner.args.reps
    run = runner.single_process(4, "dlbench-csv", 0, [RELEASE / "dlbench", "csv", "--path", jobs.synth, "--reps", reps],
                                600)
    if run:
        runner.say(f"dlbench csv: median {run['result']['MB_per_s_median']} MB/s, "
                   f"best {run['result']['MB_per_s_best']} MB/s")
    info = interpreter_for("load_bench.py", runner.interpreters)
    if info is None or runner.args.anchors is None:
        return
    tag = runner.next_tag("load_bench")
    argv = [info["python_path"], runner.args.anchors / "load_bench.py", "--csv", jobs.synth, "--reps", reps]
    group = runner.run(4, tag, [ProcessSpec("load_bench.py", argv, env=anchor_env())], 1200)
    if not group["ok"]:
        runner.errors.append(failure_text(tag, group))
        return
    # load_bench.py prints one RESULT line per reader it times.
    for line in group["processes"][0]["stdout"].splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            runner.keep(4, "load_bench", 0, dict(result=result))
            runner.say(f"{result['case']}: median {result['MB_per_s_median']} MB/s")


def allocations(runner, counter_built):
    print("== 6. allocations per step", flush=True)
    env = dict(os.environ)
    if counter_built and MALLOC_SO.exists():
        env["LD_PRELOAD"] = str(MALLOC_SO)
    steps = 500 if runner.args.quick else 2000
    run = runner.single_process(6, "allocations", 0, [RELEASE / "dlbench", "allocations", "--steps", steps,
                                                      "--data", SEED_CSV], 300, env=env)
    if run:
        for shard_run in run["result"].get("runs", []):
            runner.say(f"{shard_run['shards']} shard(s): {shard_run['per_step']:.2f} allocations per step")


def thread_counts(runner, jobs, counter_built):
    """Case 7: dlcoord --local with its default thread count (the CPUs it may run on) against --threads 1,
    on the large job (and PyTorch at its default thread count) and on the seed job; and the allocations
    per step of a step split over those threads."""
    threads = jobs.default_threads
    print(f"== 7. threads ({threads} by default here)", flush=True)
    large_argv, one_thread = large_job_argv(jobs), ["--threads", "1"]
    run_in_rotation(runner, {
        "large": lambda rep: runner.dlcoord_local(7, "dltrain-large-threads", rep, large_argv, 900, jobs.large_steps),
        "large-1": lambda rep: runner.dlcoord_local(7, "dltrain-large-t1", rep, large_argv + one_thread, 900,
                                                    jobs.large_steps),
        "torch": lambda rep: runner.anchor(7, "torch-large-default", rep, "big_torch.py",
                                           ["--csv", jobs.synth, "--threads", "0"], 900),
        "seed": lambda rep: runner.dlcoord_local(7, "dltrain-seed-threads", rep, [], 120, jobs.seed_steps),
        "seed-1": lambda rep: runner.dlcoord_local(7, "dltrain-seed-t1", rep, one_thread, 120, jobs.seed_steps),
    }, lambda run: (f"fit {run['fit_s']:.3f} s, wall {run['wall_s']:.3f} s" if "fit_s" in run
                    else f"wall {run['wall_s']:.2f} s"))
    env = dict(os.environ)
    if counter_built and MALLOC_SO.exists():
        env["LD_PRELOAD"] = str(MALLOC_SO)
    steps = 100 if runner.args.quick else 500
    run = runner.single_process(7, "allocations-threads", 0, [
        RELEASE / "dlbench", "allocations", "--steps", steps, "--data", SEED_CSV, "--threads", threads,
        "--layers", LARGE_LAYERS, "--batch-size", LARGE_BATCH], 300, env=env)
    if run:
        for shard_run in run["result"].get("runs", []):
            runner.say(f"{LARGE_LAYERS} on the seed data, {threads} threads, {shard_run['shards']} shard(s): "
                       f"{shard_run['per_step']:.2f} allocations per step")


def run_cases(runner, cases, jobs, counter_built):
    if 1 in cases:
        seed_job_one_process(runner, jobs)
    if 2 in cases:
        seed_job_four_workers(runner, jobs)
    if 3 in cases or 5 in cases:
        large_job(runner, jobs)
    if 4 in cases:
        csv_loading(runner, jobs)
    if 6 in cases:
        allocations(runner, counter_built)
    if 7 in cases:
        thread_counts(runner, jobs, counter_built)
