"""Case 8, multi-host: the large job on simulated hosts, dltrain's coordinator on h0 and one dlworker on
each of h1..hN, beside PyTorch DDP with one rank per host, every link 1 Gbit/s each way. The hosts are
network namespaces on one bridge made by ../shared/anchors/multihost/hosts.sh; without root or iproute2
the case is reported as skipped, with the reason. Besides samples per second, every run's bytes per link
per step are read off the bridge's ports, so that a model of the exchange can be checked against them.
The namespaces, and every process left in them, are removed however the case ends."""

import os
import re
import shutil
import subprocess
import threading
import time

from cases import cpu_seconds, epochs_seconds, fresh_run_dir, job_secret, logged_compute_us, run_in_rotation
from environment import anchor_env, interpreter_for
from formatting import MISSING, format_number, ratio_text, table_head, table_row
from harness import ProcessSpec, failure_text, result_line
from settings import LARGE_BATCH, LARGE_FEATURES, LARGE_LAYERS, LARGE_PARAMETERS, RELEASE
from summary import median

MULTIHOST_CASE = 8
WORKER_HOSTS = (1, 2, 4, 8)  # dltrain: worker hosts, the coordinator on a host of its own
DDP_HOSTS = (2, 4, 8)  # PyTorch DDP: hosts, one rank each
LINK_RATE = "1gbit"  # hosts.sh's rate for every link, each way
LINK_BYTES_PER_S = 1e9 / 8  # the same rate (tc's gbit is 10^9 bits)
EPOCHS = 1
COORDINATOR_ENDPOINT = "tcp://10.78.0.1:5555"  # h0, as hosts.sh numbers the hosts
RUN_TIMEOUT_S = 900
HOSTS_SH_TIMEOUT_S = 120  # bringing up or removing 10 namespaces takes a second or two
SAMPLE_INTERVAL_S = 0.05
# dltrain's bytes per step are counted over the middle of the epoch, away from its first steps (just after
# the rows were sent) and its last.
COUNTED_SHARE = 0.8
SKIPPED = "multihost-skipped"
PARAMETER_BYTES = 4 * LARGE_PARAMETERS


def dltrain_variant(workers):
    return f"dltrain-hosts-{workers}"


def ddp_variant(ranks):
    return f"torch-ddp-hosts-{ranks}"


class HostsError(Exception):
    """hosts.sh could not make the hosts; the message says why."""


def namespace_names():
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30)
    return [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]


def is_hosts_namespace(name):
    """The names hosts.sh gives: h0..hN and the bridge's dlsw."""
    return name == "dlsw" or re.fullmatch(r"h[0-9]+", name) is not None


def unavailable_reason(anchors):
    """Why the case cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root for network namespaces"
    missing = [tool for tool in ("ip", "tc") if shutil.which(tool) is None]
    if missing:
        return f"needs iproute2 for network namespaces ({' and '.join(missing)} not found)"
    if anchors is None or not (anchors / "multihost" / "hosts.sh").exists():
        return "../shared/anchors/multihost/hosts.sh not found"
    taken = [name for name in namespace_names() if is_hosts_namespace(name)]
    if taken:
        # Someone else's hosts: hosts.sh down would remove them under their feet.
        return (f"network namespaces {', '.join(taken)} already exist (another run of hosts.sh?); "
                "`hosts.sh down` removes them")
    return None


def port_bytes(pid):
    """What each host has sent into the bridge and received from it so far, {K: (sent, received)}, read
    from the bridge's ports phK in /proc/PID/net/dev of a process inside the bridge's namespace (a port
    receives what its host sends)."""
    counters = {}
    with open(f"/proc/{pid}/net/dev") as dev:
        for line in dev.readlines()[2:]:
            name, _, fields = line.partition(":")
            name = name.strip()
            if re.fullmatch(r"ph[0-9]+", name):
                values = fields.split()
                counters[int(name[2:])] = (int(values[0]), int(values[8]))
    return counters


class SimulatedHosts:
    """h0..hN made by hosts.sh, with a process inside the bridge's namespace that the ports' counters are
    read through; on leaving, every process still in the namespaces is killed and the namespaces removed."""

    def __init__(self, anchors, count):
        self.directory = anchors / "multihost"
        self.count = count
        self.watcher = None
        self.teardown_errors = []

    def hosts_sh(self, *arguments):
        return subprocess.run(["bash", self.directory / "hosts.sh", *map(str, arguments)], capture_output=True,
                              text=True, timeout=HOSTS_SH_TIMEOUT_S)

    def __enter__(self):
        try:
            made = self.hosts_sh("up", self.count, LINK_RATE)
            if made.returncode != 0:
                raise HostsError("hosts.sh up failed: " + " | ".join(made.stderr.strip().splitlines()[-3:]))
            self.watcher = subprocess.Popen(["ip", "netns", "exec", "dlsw", "sleep", "86400"],
                                            stdin=subprocess.DEVNULL, start_new_session=True)
            deadline = time.perf_counter() + 10
            while not port_bytes(self.watcher.pid) and time.perf_counter() < deadline:
                time.sleep(0.01)  # until `ip netns exec` has entered the namespace
            if not port_bytes(self.watcher.pid):
                raise HostsError("cannot read the bridge's port counters")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exception):
        for name in namespace_names():
            if not is_hosts_namespace(name):
                continue
            pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True, timeout=30)
            for pid in pids.stdout.split():
                try:
                    os.kill(int(pid), 9)  # only this case's processes live in these namespaces
                except (ProcessLookupError, ValueError):
                    pass
        if self.watcher is not None:
            self.watcher.kill()
            self.watcher.wait(timeout=10)
        removed = self.hosts_sh("down")
        if removed.returncode != 0 or any(is_hosts_namespace(name) for name in namespace_names()):
            self.teardown_errors.append("hosts.sh down did not remove every namespace: " + removed.stderr.strip())
        return False


def softirq_seconds():
    """The machine's time in software interrupts so far, from /proc/stat: mostly, while a case runs, the
    kernel moving the simulated links' packets, which no process is charged for."""
    with open("/proc/stat") as stat:
        return int(stat.readline().split()[7]) / os.sysconf("SC_CLK_TCK")


class TrafficSampler:
    """The ports' counters every SAMPLE_INTERVAL_S while a run goes on, stamped with the wall clock (which
    file times are on too)."""

    def __init__(self, pid):
        self.pid = pid
        self.samples = []  # (time.time(), counters)
        self.softirq_s = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        while not self.stopping.is_set():
            self.samples.append((time.time(), port_bytes(self.pid)))
            self.stopping.wait(SAMPLE_INTERVAL_S)

    def __enter__(self):
        self.softirq_s = -softirq_seconds()
        self.thread.start()
        return self

    def __exit__(self, *exception):
        self.stopping.set()
        self.thread.join(timeout=10)
        self.softirq_s += softirq_seconds()
        return False

    def counters_at(self, moment):
        """Each port's counters at `moment`, interpolated between the samples either side of it."""
        after = next((index for index, (when, _) in enumerate(self.samples) if when >= moment), len(self.samples) - 1)
        before = max(after - 1, 0)
        (t0, c0), (t1, c1) = self.samples[before], self.samples[after]
        share = 0 if t1 == t0 else min(max((moment - t0) / (t1 - t0), 0), 1)
        return {port: tuple(a + share * (b - a) for a, b in zip(c0[port], c1[port])) for port in c1}

    def per_step(self, start, end, steps, hosts):
        """Bytes sent and received per step by each host between `start` and `end`, `steps` steps."""
        first, last = self.counters_at(start), self.counters_at(end)
        return {f"h{host}": dict(sent=(last[host][0] - first[host][0]) / steps,
                                 received=(last[host][1] - first[host][1]) / steps) for host in hosts}


def load_figures(group, sampler):
    """Cores kept busy on average during a run by the kernel's packet work (software interrupts) and by
    the rest of what the harness counts as other processes' load."""
    packets = sampler.softirq_s / group["wall_s"]
    return dict(packet_cores=packets, other_cores=None if group["other_cpu_s"] is None
                else max(0.0, group["other_cpu_s"] / group["wall_s"] - packets))


def on_host(host, *argv):
    return ["ip", "netns", "exec", f"h{host}", *argv]


def large_job_argv(synth):
    return ["--data", synth, "--no-header", "--layers", LARGE_LAYERS, "--loss", "binary_crossentropy",
            "--batch-size", LARGE_BATCH, "--epochs", EPOCHS]


def dltrain_on_hosts(runner, hosts, workers, rep, jobs, rows):
    """dlcoord --workers N on h0, one dlworker on each of h1..hN (they connect when it listens), all
    holding the run's secret."""
    variant = dltrain_variant(workers)
    tag = runner.next_tag(variant)
    run_dir = fresh_run_dir(tag)
    # The hosts' links are a network: dltrain needs a secret there, and encrypts everything with it, as a
    # user's run across machines does.
    secret = job_secret(run_dir.parent)
    coordinator = on_host(0, RELEASE / "dlcoord", "--workers", workers, "--bind", COORDINATOR_ENDPOINT,
                          "--secret-file", secret, "--verbose", "2", "--run-dir", run_dir, *large_job_argv(jobs.synth))
    specs = [ProcessSpec("coordinator", coordinator)]
    specs += [ProcessSpec(f"worker-h{host}", on_host(host, RELEASE / "dlworker", "--connect", COORDINATOR_ENDPOINT,
                                                     "--secret-file", secret, "--name", f"h{host}"))
              for host in range(1, workers + 1)]
    with TrafficSampler(hosts.watcher.pid) as sampler:
        group = runner.run(MULTIHOST_CASE, tag, specs, RUN_TIMEOUT_S)
    secret.unlink(missing_ok=True)
    if not group["ok"]:
        runner.errors.append(failure_text(tag, group))
        return None
    fit_s, epochs, _ = epochs_seconds(run_dir)
    # metrics.jsonl is written as the epoch ends, so its time is the end of the training.
    epoch_end = (run_dir / "metrics.jsonl").stat().st_mtime
    shutil.rmtree(run_dir, ignore_errors=True)
    steps = jobs.large_steps * epochs
    margin = (1 - COUNTED_SHARE) / 2 * fit_s
    bytes_per_step = sampler.per_step(epoch_end - fit_s + margin, epoch_end - margin, COUNTED_SHARE * steps,
                                      range(workers + 1))
    coordinator_run, worker_runs = group["processes"][0], group["processes"][1:]
    return runner.keep(MULTIHOST_CASE, variant, rep, dict(
        hosts=workers, wall_s=group["wall_s"], fit_s=fit_s, steps=steps, samples_per_s=rows * epochs / fit_s,
        bytes_per_step=bytes_per_step, worker_compute_us=logged_compute_us(coordinator_run),
        **load_figures(group, sampler), rss_mib=coordinator_run["rss_mib"],
        worker_rss_mib=max(process["rss_mib"] for process in worker_runs),
        coordinator_cpu_s=cpu_seconds(coordinator_run), worker_cpu_s=[cpu_seconds(process) for process in worker_runs]))


def ddp_on_hosts(runner, hosts, ranks, rep, jobs, python):
    """ddp_hosts.sh N: big_torch.py under DDP, one rank per host on h1..hN, rank 0's RESULT."""
    variant = ddp_variant(ranks)
    tag = runner.next_tag(variant)
    spec = ProcessSpec("ddp_hosts.sh", ["bash", hosts.directory / "ddp_hosts.sh", ranks, jobs.synth, EPOCHS],
                       env=dict(anchor_env(), PY=python))
    with TrafficSampler(hosts.watcher.pid) as sampler:
        group = runner.run(MULTIHOST_CASE, tag, [spec], RUN_TIMEOUT_S)
    result = result_line(group["processes"][0]["stdout"])
    if not group["ok"]:
        runner.errors.append(failure_text(tag, group) + (" — after printing its RESULT, which is kept" if result else ""))
    if result is None or group["processes"][0]["timed_out"]:
        return None
    # DDP sends nothing but its rendezvous (kilobytes) outside training: the whole run's bytes are counted.
    steps = result["steps_rank0"]
    bytes_per_step = sampler.per_step(sampler.samples[0][0], sampler.samples[-1][0], steps, range(1, ranks + 1))
    return runner.keep(MULTIHOST_CASE, variant, rep, dict(
        hosts=ranks, wall_s=group["wall_s"], fit_s=result["fit_s"], steps=steps,
        samples_per_s=result["samples_per_s_fit"], bytes_per_step=bytes_per_step, **load_figures(group, sampler),
        result=result, rss_mib=group["processes"][0]["rss_mib"]))


def describe(run):
    text = f"{run['samples_per_s']:,.0f} samples/s, epoch {run['fit_s']:.2f} s"
    links = run["bytes_per_step"]
    if links:
        busiest = max(links, key=lambda host: max(links[host].values()))
        text += (f", busiest link {busiest}: {links[busiest]['sent'] / 1000:,.0f} kB sent, "
                 f"{links[busiest]['received'] / 1000:,.0f} kB received per step")
    return text


def multi_host(runner, jobs, rows):
    print(f"== {MULTIHOST_CASE}. multi-host: the large job on simulated hosts, {LINK_RATE} links", flush=True)
    reason = unavailable_reason(runner.args.anchors)
    if reason is None:
        info = interpreter_for("big_torch.py", runner.interpreters)
        try:
            with SimulatedHosts(runner.args.anchors, max(WORKER_HOSTS + DDP_HOSTS)) as hosts:
                variants = {f"w{workers}": (lambda rep, workers=workers:
                                            dltrain_on_hosts(runner, hosts, workers, rep, jobs, rows))
                            for workers in WORKER_HOSTS}
                if info is not None:
                    variants.update({f"ddp{ranks}": (lambda rep, ranks=ranks:
                                                     ddp_on_hosts(runner, hosts, ranks, rep, jobs, info["python_path"]))
                                     for ranks in DDP_HOSTS})
                run_in_rotation(runner, variants, describe)
            runner.errors.extend(hosts.teardown_errors)
        except HostsError as error:
            reason = f"could not make the hosts: {error}"
    if reason is not None:
        runner.say(f"skipped: {reason}")
        runner.keep(MULTIHOST_CASE, SKIPPED, 0, dict(reason=reason))


def summarize_multihost(records):
    """Per variant, the medians over the repetitions: samples/s, epoch and wall seconds, and each host's
    bytes sent and received per step."""
    summary = dict(skipped=next((record["reason"] for record in records if record["variant"] == SKIPPED), None))
    for variant in [dltrain_variant(workers) for workers in WORKER_HOSTS] + [ddp_variant(ranks) for ranks in DDP_HOSTS]:
        runs = [record for record in records if record["variant"] == variant]
        links = {}
        for host in sorted({host for run in runs for host in (run.get("bytes_per_step") or {})}):
            links[host] = {way: median([(run.get("bytes_per_step") or {}).get(host, {}).get(way) for run in runs])
                           for way in ("sent", "received")}
        speeds = [run["samples_per_s"] for run in runs]
        summary[variant] = dict(n=len(runs), samples_per_s=median(speeds),
                                samples_per_s_range=(min(speeds), max(speeds)) if speeds else (None, None),
                                fit_s=median([run["fit_s"] for run in runs]),
                                wall_s=median([run["wall_s"] for run in runs]),
                                steps=median([run["steps"] for run in runs]),
                                worker_compute_us=median([run.get("worker_compute_us") for run in runs]),
                                packet_cores=median([run.get("packet_cores") for run in runs]),
                                other_cores=median([run.get("other_cores") for run in runs]),
                                bytes_per_step=links)
    return summary


def target_figures(summary, ours, reference):
    """Samples/s of variant `ours` over `reference`'s, and why there is none if the case was skipped."""
    multihost = summary.get("multihost") or {}
    if multihost.get("skipped"):
        return None, None, f"skipped: {multihost['skipped']}"
    return ((multihost.get(ours) or {}).get("samples_per_s"), (multihost.get(reference) or {}).get("samples_per_s"),
            None)


def dltrain_model(workers):
    """dltrain's ring (the large job is above the star's one chunk): per step a worker's link carries a
    partial sum and the total each way at most (with one worker, only the total out, to the
    coordinator), and the coordinator's link one total in; none of it grows with N (payload only;
    headers, ZeroMQ's framing and TCP/IP add a few per cent)."""
    return dict(coordinator=PARAMETER_BYTES, worker=(2 if workers > 1 else 1) * PARAMETER_BYTES)


def gloo_model(ranks):
    """gloo's ring all-reduce: each rank sends and receives 2(N-1)/N of the gradient per step."""
    return 2 * (ranks - 1) / ranks * PARAMETER_BYTES


def scaling_floor_note(summary):
    """Why four worker hosts cannot train 1.5 times as fast as one on these links: the bytes a step
    must move over one host's link, against the one host's measured rate."""
    multihost = summary.get("multihost") or {}
    one = (multihost.get(dltrain_variant(1)) or {}).get("samples_per_s")
    if not one:
        return None
    def rate(link_bytes):
        return LARGE_BATCH / (link_bytes / LINK_BYTES_PER_S)
    least, ring = gloo_model(4), dltrain_model(4)["worker"]
    return (f"Large job, 4 worker hosts against 1, the floor: however 4 worker hosts sum a step's gradient among "
            f"themselves, each must send and receive at least 2(N−1)/N of the model's {PARAMETER_BYTES:,} bytes over "
            "its link (the all-reduce bound), "
            f"{least / LINK_BYTES_PER_S * 1000:.2f} ms at 1 Gbit/s (gloo's ring all-reduce moves exactly that); with "
            f"no compute and no latency at all, 4 hosts would then train {rate(least):,.0f} samples/s, "
            f"{rate(least) / one:.2f} × the {one:,.0f} of one host measured here. dltrain's ring moves twice the "
            f"model per link to keep the shard order ({ring / LINK_BYTES_PER_S * 1000:.2f} ms: "
            f"{rate(ring):,.0f} samples/s, {rate(ring) / one:.2f} ×). So 1.5 × is out of reach on 1 Gbit/s links for "
            "any exchange of the whole gradient at every step among the workers. Summing servers on hosts of their "
            "own (BytePS) lower a worker's share towards one model each way, but these runs have no host to spare but "
            "the coordinator's, whose one link would then carry what the workers' links no longer do; otherwise it "
            "takes sending less than a gradient per step (compression, or more rows per step), which changes what is "
            "trained.")


def milliseconds(microseconds):
    return None if microseconds is None else microseconds / 1000


def kilobytes(value):
    return MISSING if value is None else f"{value / 1000:,.0f}"


def speed_cell(run):
    """The median samples/s and, over several repetitions, their range."""
    low, high = run.get("samples_per_s_range") or (None, None)
    spread = f" ({format_number(low)}–{format_number(high)})" if run["n"] > 1 and low is not None else ""
    return format_number(run["samples_per_s"]) + spread


def link_cells(link, model):
    """A link's bytes per step, sent / received, in kB, and the larger over the model's figure."""
    if not link or link["sent"] is None:
        return [MISSING, MISSING]
    return [f"{kilobytes(link['sent'])} / {kilobytes(link['received'])}",
            ratio_text(max(link["sent"], link["received"]), model, "x", 2)]


def busiest_worker_link(links, first_worker):
    workers = [link for host, link in links.items() if int(host[1:]) >= first_worker and link["sent"] is not None]
    return max(workers, key=lambda link: max(link["sent"], link["received"]), default=None)


def link_ms(links):
    """The busiest link's bytes per step at the link's rate, in ms: the floor it sets on a step."""
    busiest = max((max(link["sent"], link["received"]) for link in links.values() if link["sent"] is not None),
                  default=None)
    return None if busiest is None else busiest / LINK_BYTES_PER_S * 1000


def multihost_section(summary):
    facts, multihost = summary["facts"], summary.get("multihost") or {}
    lines = [f"## {MULTIHOST_CASE}. Multi-host", "",
             f"The large job ({LARGE_FEATURES} -> 256 relu -> 256 relu -> 1 sigmoid, binary cross-entropy, Adam, batch "
             f"{LARGE_BATCH}, {EPOCHS} epoch on `{facts['synth']}`) on simulated hosts: network namespaces on one bridge "
             f"made by `../shared/anchors/multihost/hosts.sh`, every link {LINK_RATE} each way (tbf), all of them on "
             "the measured machine's cores. dltrain: `dlcoord --workers N --bind "
             f"{COORDINATOR_ENDPOINT}` on h0 and one `dlworker` on each of h1..hN (S = N); samples/s are the rows over "
             "the epoch's `seconds` in metrics.jsonl, as in case 3. PyTorch: `ddp_hosts.sh N` (`big_torch.py` under "
             "DDP, gloo, one rank of one thread per host, rank 0 on h1), its `samples_per_s_fit`.", "",
             "Bytes per link per step are read off the bridge's ports (`/proc/PID/net/dev` of a process in the "
             "bridge's namespace; Ethernet, IP and TCP headers and acknowledgements included): dltrain's over the "
             f"middle {COUNTED_SHARE:.0%} of the epoch, away from the rows sent before it, DDP's over the whole run "
             "(its rendezvous is kilobytes). The model is payload only: dltrain's ring carries at most a partial sum "
             f"and the total each way over a worker's link, 2 × {PARAMETER_BYTES:,} bytes per step ({LARGE_PARAMETERS:,} "
             "float32; with one worker only the total, out to the coordinator), and one total into the coordinator's "
             f"link, whatever N; gloo's ring all-reduce sends and receives 2(N−1)/N × {PARAMETER_BYTES:,} bytes per "
             "rank. \"× model\" is the link's larger direction over the model's figure.", ""]
    if multihost.get("skipped"):
        return lines + [f"Skipped: {multihost['skipped']}.", ""]
    one_host = (multihost.get(dltrain_variant(1)) or {}).get("samples_per_s")
    lines += table_head("run", "hosts with workers", "samples/s (range)", "× dltrain on 1 worker host", "epoch s", "ms per step",
                        "a worker's compute, ms per step", "wall s", "h0 (coordinator) link kB per step, sent / received", "× model",
                        "busiest worker link kB per step, sent / received", "× model",
                        "busiest link's bytes at 1 Gbit/s, ms per step")
    for workers in WORKER_HOSTS:
        run = multihost.get(dltrain_variant(workers)) or {}
        if not run.get("n"):
            continue
        links, model = run["bytes_per_step"], dltrain_model(workers)
        lines.append(table_row(
            "dltrain, coordinator on h0", workers, speed_cell(run),
            ratio_text(run["samples_per_s"], one_host, "x", 2), format_number(run["fit_s"]),
            format_number(run["fit_s"] / run["steps"] * 1000), format_number(milliseconds(run["worker_compute_us"])),
            format_number(run["wall_s"]), *link_cells(links.get("h0"), model["coordinator"]),
            *link_cells(busiest_worker_link(links, 1), model["worker"]), format_number(link_ms(links))))
    ddp_status = summary["anchors"].get("big_torch.py", "not installed")
    for ranks in DDP_HOSTS:
        run = multihost.get(ddp_variant(ranks)) or {}
        if ddp_status != "ok" or not run.get("n"):
            lines.append(table_row("PyTorch DDP `ddp_hosts.sh`", ranks,
                                   ddp_status if ddp_status != "ok" else "failed", *[""] * 10))
            continue
        links = run["bytes_per_step"]
        lines.append(table_row(
            "PyTorch DDP `ddp_hosts.sh`", ranks, speed_cell(run),
            ratio_text(run["samples_per_s"], one_host, "x", 2), format_number(run["fit_s"]),
            format_number(run["fit_s"] / run["steps"] * 1000), "", format_number(run["wall_s"]), "", "",
            *link_cells(busiest_worker_link(links, 1), gloo_model(ranks)), format_number(link_ms(links))))
    lines.append("")
    return lines + load_note(multihost)


def load_note(multihost):
    """What else kept the 2 cores busy: the kernel moving the links' packets, and other processes."""
    def figures(key):
        runs = [(label, multihost.get(variant) or {}) for label, variant in
                [(f"dltrain {workers}", dltrain_variant(workers)) for workers in WORKER_HOSTS]
                + [(f"DDP {ranks}", ddp_variant(ranks)) for ranks in DDP_HOSTS]]
        return ", ".join(f"{label}: {format_number(run[key])}" for label, run in runs if run.get(key) is not None)

    packets, others = figures("packet_cores"), figures("other_cores")
    if not packets:
        return []
    return [f"Every host shares the measured machine's cores, and so does the kernel's work of moving the links' packets "
            f"(software interrupts in /proc/stat, charged to no process, so the machine section counts it as other "
            f"processes' load). Cores it kept busy, medians per run, by hosts with workers: {packets}. Other "
            f"processes besides: {others}.", ""]
