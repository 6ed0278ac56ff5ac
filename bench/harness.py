"""Running the benchmark's processes and measuring each one: its own wall time and peak resident memory
from os.wait4 when it exits, its CPU time, its output, and how busy other processes kept the shared
machine meanwhile."""

import json
import os
import subprocess
import threading
import time

from settings import LOGS, ROOT

READY_LIMIT_S = 20  # how long the first process of a group may take to start listening


class ProcessSpec:
    """One process to start: a name (for logs and results), argv, environment, working directory."""

    def __init__(self, name, argv, env=None, cwd=ROOT):
        self.name, self.argv, self.env, self.cwd = name, [str(arg) for arg in argv], env, cwd


def cpu_busy_seconds():
    """CPU time the whole machine has spent busy (all processes, all cores), from /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(field) for field in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, idle, iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def run_processes(tag, specs, timeout, ready=None):
    """Starts specs[0], waits until `ready()` (if given) says it is listening, starts the others, and
    reaps them all with os.wait4. Returns the group's wall time, whether every process exited 0 in time,
    the CPU time other processes took meanwhile, and one record per process: wall seconds (its own,
    start to exit), peak RSS in MiB (ru_maxrss, its own; for a process that waited for children of its
    own, the largest of them), exit status, CPU seconds, and its output."""
    LOGS.mkdir(parents=True, exist_ok=True)
    started, start_times, log_files = {}, {}, []

    def start(spec):
        stdout = open(LOGS / f"{tag}.{spec.name}.out", "w+")
        stderr = open(LOGS / f"{tag}.{spec.name}.err", "w+")
        log_files.extend([stdout, stderr])
        start_time = time.perf_counter()
        process = subprocess.Popen(spec.argv, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, env=spec.env,
                                   cwd=spec.cwd, start_new_session=True)
        started[process.pid] = (spec, process, stdout, stderr)
        start_times[process.pid] = start_time
        return process

    reaped_early = {}  # processes that exited while the driver waited for the first to be ready
    busy_before = cpu_busy_seconds()

    first = start(specs[0])
    if ready is not None and len(specs) > 1:
        deadline = time.perf_counter() + READY_LIMIT_S
        while not ready() and time.perf_counter() < deadline:
            pid, status, usage = os.wait4(first.pid, os.WNOHANG)
            if pid:
                reaped_early[pid] = (status, usage, time.perf_counter())
                break
            time.sleep(0.001)
    for spec in specs[1:]:
        start(spec)

    timed_out = []

    def kill_all():
        timed_out.append(True)
        for pid in list(started):
            try:
                os.killpg(pid, 9)  # each process leads its own session: it and its own children
            except (ProcessLookupError, PermissionError):
                pass

    timer = threading.Timer(timeout, kill_all)
    timer.start()
    records, pending, end_times = {}, set(started), {}
    try:
        while pending:
            if reaped_early:
                pid, (status, usage, end_time) = reaped_early.popitem()
            else:
                try:
                    pid, status, usage = os.wait4(-1, 0)
                except ChildProcessError:
                    break
                end_time = time.perf_counter()
            if pid not in pending:
                continue
            pending.discard(pid)
            spec, process, _, _ = started[pid]
            process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
            end_times[pid] = end_time
            records[pid] = dict(name=spec.name, argv=spec.argv, wall_s=end_time - start_times[pid],
                                rss_mib=usage.ru_maxrss / 1024, exit=process.returncode,
                                user_s=usage.ru_utime, sys_s=usage.ru_stime)
    finally:
        timer.cancel()
    busy_after = cpu_busy_seconds()
    processes = []
    for pid, (spec, process, stdout, stderr) in started.items():
        stdout.seek(0)
        stderr.seek(0)
        record = records[pid]
        record["stdout"], record["stderr_tail"] = stdout.read(), stderr.read()[-2000:]
        record["timed_out"] = bool(timed_out)
        processes.append(record)
    for log_file in log_files:
        log_file.close()
    own_cpu_s = sum(record["user_s"] + record["sys_s"] for record in processes)
    # CPU time other processes took meanwhile (the machine is shared): large values mean noisy figures.
    other_cpu_s = (None if busy_before is None or busy_after is None
                   else max(0.0, busy_after - busy_before - own_cpu_s))
    return dict(wall_s=max(end_times.values()) - min(start_times.values()), processes=processes,
                other_cpu_s=other_cpu_s,
                ok=all(record["exit"] == 0 for record in processes) and not timed_out)


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


def failure_text(tag, group):
    """One line for the report: which process of a group failed, how, and the end of its stderr."""
    failed = [process for process in group["processes"] if process["exit"] != 0] or group["processes"]
    process = failed[0]
    how = "timed out" if process["timed_out"] else f"exit {process['exit']}"
    tail = " | ".join(process["stderr_tail"].strip().splitlines()[-3:])
    return f"{tag}: {process['name']} {how}: {tail}"
