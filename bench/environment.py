"""What the benchmark runs on: the release build and the allocation counter, the Pythons that can run the
anchor scripts (and installing their packages when asked), and the machine's facts for the report."""

import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from settings import ANCHOR_MODULES, ANCHORS_VENV, DISTRIBUTIONS, IN_REPO_ANCHORS, LOGS, MALLOC_SO, RELEASE, ROOT

TOOLS = ("dlcoord", "dlworker", "dlbench")


def run_command(argv, **options):
    """Runs a short command to its end and returns its completed process, output captured as text."""
    return subprocess.run([str(arg) for arg in argv], capture_output=True, text=True, **options)


def build():
    """Builds the release binaries; exits on failure."""
    print("== swift build -c release", flush=True)
    start = time.perf_counter()
    completed = subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, capture_output=True, text=True)
    (LOGS / "swift-build.log").write_text(completed.stdout + completed.stderr)
    if completed.returncode != 0:
        sys.exit("swift build -c release failed:\n" + (completed.stdout + completed.stderr)[-4000:])
    print(f"   built in {time.perf_counter() - start:.0f} s", flush=True)
    for tool in TOOLS:
        if not (RELEASE / tool).exists():
            sys.exit(f"{RELEASE / tool} is missing after the build (is the dlbench target in Package.swift?)")


def build_malloc_counter():
    """Builds the malloc counter (with or without --no-build: it is one C file); returns whether it
    was built, since without it the allocations are reported as not measured."""
    compiler = shutil.which("cc")
    if compiler is None:
        print("   no C compiler: allocations will be 'not measured'")
        return False
    completed = run_command([compiler, "-shared", "-fPIC", "-O2", "-o", MALLOC_SO, ROOT / "bench" / "malloc_count.c",
                             "-ldl"], cwd=ROOT)
    if completed.returncode != 0:
        print("   cannot build bench/malloc_count.c: " + completed.stderr.strip()[-500:])
        return False
    return True


def install_anchors():
    print(f"== installing the anchors' packages into {ANCHORS_VENV} (tensorflow-cpu, pandas, numpy, torch, scikit-learn)",
          flush=True)
    if not (ANCHORS_VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(ANCHORS_VENV)], check=True)
    pip = [str(ANCHORS_VENV / "bin" / "python"), "-m", "pip"]
    subprocess.run(pip + ["install", "--upgrade", "pip"], check=True)
    subprocess.run(pip + ["install", "tensorflow-cpu", "pandas", "numpy", "torch", "scikit-learn"], check=True)


# Run by each candidate Python: its version and the version of every module it can import.
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
    """The Pythons that could run anchors, in the order they are tried: --python paths, the anchors'
    venv, this Python; each with its version, path and importable modules."""
    candidates = list(extra) + [str(ANCHORS_VENV / "bin" / "python"), sys.executable]
    found = []
    for python in candidates:
        if not Path(python).exists() or any(python == info["python_path"] for info in found):
            continue
        completed = run_command([python, "-c", PROBE, json.dumps(DISTRIBUTIONS)])
        if completed.returncode == 0:
            info = json.loads(completed.stdout)
            info["python_path"] = python
            found.append(info)
    return found


def interpreter_for(script, interpreters):
    """The first Python that has every module the anchor script imports, or None."""
    needs = ANCHOR_MODULES[script]
    for info in interpreters:
        if all(module in info["modules"] for module in needs):
            return info
    return None


def anchor_status(script, anchors, interpreters):
    """"ok", or why the report has no figures of this anchor script."""
    if anchors is None and script not in IN_REPO_ANCHORS:
        return "anchors not found"
    if interpreter_for(script, interpreters) is None:
        return "not installed"
    return "ok"


def anchor_env():
    env = dict(os.environ)
    # Set on some processors for old OpenBLAS builds; they slow a current numpy (see the machine notes).
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


def first_line_value(path, prefix, separator):
    """What follows `separator` on the first line of a text file that starts with `prefix`, or None."""
    try:
        with open(path) as lines:
            for line in lines:
                if line.startswith(prefix):
                    return line.split(separator, 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_description():
    model_name = first_line_value("/proc/cpuinfo", "model name", ":") or "?"
    flags = set((first_line_value("/proc/cpuinfo", "flags", ":") or "").split())
    lscpu = run_command(["lscpu"]).stdout if shutil.which("lscpu") else ""
    family = re.search(r"CPU family:\s*(\S+)", lscpu)
    model = re.search(r"^Model:\s*(\S+)", lscpu, re.M)
    hypervisor = re.search(r"Hypervisor vendor:\s*(\S+)", lscpu)
    details = []
    if family and model:
        details.append(f"family {family.group(1)} model {model.group(1)}")
    if hypervisor:
        details.append(f"{hypervisor.group(1)} guest")
    details.append(" ".join(flag for flag in ("avx2", "fma", "avx512f") if flag in flags))
    return f"{model_name} ({'; '.join(detail for detail in details if detail)})"


def dltrain_default_threads():
    """The thread count dlcoord takes without --threads here (its --help names it), or None."""
    completed = run_command([RELEASE / "dlcoord", "--help"])
    found = re.search(r"the CPUs this process may run on, (\d+) here", " ".join(completed.stdout.split()))
    return int(found.group(1)) if found else None


def machine_facts(interpreters):
    """The machine, the toolchain, the anchors' package versions, the commit and the date."""
    os_name = platform.platform()
    pretty_name = first_line_value("/etc/os-release", "PRETTY_NAME=", "=")
    if pretty_name is not None:
        os_name = pretty_name.strip('"') + f", Linux {platform.release()}"
    memory = "?"
    mem_total = first_line_value("/proc/meminfo", "MemTotal:", ":")
    if mem_total is not None:
        memory = f"{int(mem_total.split()[0]) / 1024 / 1024:.0f} GiB"
    swift = run_command(["swift", "--version"])
    swift_version = (swift.stdout + swift.stderr).strip().splitlines()[0] if swift.returncode == 0 else "?"
    commit = run_command(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"]).stdout.strip() or "?"

    used = [info for info in (interpreter_for(script, interpreters) for script in ANCHOR_MODULES) if info is not None]

    def version(module):
        versions = sorted({info["modules"][module] for info in used if module in info["modules"]})
        return ", ".join(versions) if versions else "not installed"

    return dict(cpu=cpu_description(), cores=os.cpu_count(), memory=memory, os=os_name,
                swift=swift_version, python_driver=platform.python_version(),
                python_anchors=", ".join(sorted({f"{info['python']} ({info['python_path']})" for info in used})) or "none",
                tensorflow=version("tensorflow"), keras=version("keras"), torch=version("torch"),
                numpy=version("numpy"), pandas=version("pandas"), sklearn=version("sklearn"), dltrain_threads=dltrain_default_threads(), commit=commit,
                date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
