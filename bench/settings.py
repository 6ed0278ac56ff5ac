"""The benchmark's fixed settings: where it keeps its files, the shapes of the two jobs it runs, and the
Python packages each anchor script needs. Every other module of bench/ reads them from here."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".build"
BENCH = BUILD / "bench"
RELEASE = BUILD / "release"
LOGS = BENCH / "logs"
RUNS = BENCH / "runs"
RESULTS_JSON = BENCH / "results.json"
MALLOC_SO = BUILD / "malloc_count.so"
ANCHORS_VENV = BUILD / "anchors-venv"
DEFAULT_ANCHORS = ROOT.parent / "shared" / "anchors"
# The anchors kept in the repository (cases 10 and 11), found there whatever --anchors says.
REPO_ANCHORS = ROOT / "bench" / "anchors"
SEED_CSV = ROOT / "dataset" / "ThoraricSurgery.csv"

ALL_CASES = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})

SEED_EPOCHS, SEED_BATCH = 100, 10
LARGE_EPOCHS, LARGE_BATCH = 3, 256
LARGE_FEATURES = 64
LARGE_LAYERS = "256:relu,256:relu,1:sigmoid"
SEED_PARAMETERS = 17 * 30 + 30 + 30 + 1  # 571 floats: what a seed-job step sends each way
LARGE_PARAMETERS = 64 * 256 + 256 + 256 * 256 + 256 + 256 + 1  # 82,689 floats

# Each anchor script and the modules it imports. The arguments the cases give them set their threads as
# the anchors' README describes its figures: Keras and torch_seed with their defaults, DDP one thread
# per process, the large job with one thread (and DDP 2 x 1 thread).
ANCHOR_MODULES = {
    "keras_seed.py": ["tensorflow", "numpy"],
    "torch_seed.py": ["torch", "numpy"],
    "torch_ddp_seed.py": ["torch", "numpy"],
    "big_torch.py": ["torch", "numpy", "pandas"],
    "load_bench.py": ["numpy", "pandas"],
    "table_keras.py": ["tensorflow", "keras", "numpy", "pandas"],
    "table_sklearn.py": ["sklearn", "numpy", "pandas"],
    "fit_keras_seed.py": ["tensorflow", "keras", "numpy", "sklearn"],
    "fit_torch_large.py": ["torch", "numpy", "pandas"],
}
# The anchor scripts in REPO_ANCHORS rather than in --anchors.
IN_REPO_ANCHORS = frozenset({"table_keras.py", "table_sklearn.py", "fit_keras_seed.py", "fit_torch_large.py"})
# The distributions whose versions the report names for each module (the first one installed).
DISTRIBUTIONS = {
    "tensorflow": ["tensorflow-cpu", "tensorflow"], "keras": ["keras"], "torch": ["torch"],
    "numpy": ["numpy"], "pandas": ["pandas"], "sklearn": ["scikit-learn"],
}


def default_report_path(quick, cases):
    """docs/benchmarks.md for a full run; a quick or partial run must not replace it."""
    full = not quick and set(cases) == ALL_CASES
    return ROOT / "docs" / "benchmarks.md" if full else BENCH / "benchmarks.md"
# The fraction `dlcoord --audit` checks in the cases that measure what auditing costs.
AUDIT_FRACTION = "0.05"
# What `dlbench flood` throws at a secured run beside it (case 2): 10,000 connections with 10 kB of junk
# each, as fast as it can make them. The run trains the seed job for FLOOD_EPOCHS epochs, long enough
# for all of them to land during it.
FLOOD_CONNECTIONS, FLOOD_BYTES_PER_CONNECTION, FLOOD_EPOCHS = 10_000, 10_000, 400
