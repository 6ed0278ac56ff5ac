#!/usr/bin/env bash
# Installs what dltrain needs on a fresh Debian machine that has Swift 6: the native libraries from
# Debian's packages, and with --test also a Python environment (in .build/python) holding the
# packages the interoperability tests read dltrain's files with.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=false
[ "${1:-}" = "--test" ] && with_tests=true

if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
# libhdf5-dev: dlmodel export writes a .keras file's weights through libhdf5. zlib1g-dev: gzip-compressed
# CSV files are inflated through zlib. The -dev packages (with what they depend on) also hold the
# static libraries deploy/container/build-binaries.sh links.
packages=(libzmq3-dev libhdf5-dev zlib1g-dev pkg-config)
# iproute2: the multi-host test makes network-namespace hosts with ip and tc (as root); tcpdump:
# the capture test looks at what a secured run puts on the wire (as root); slurm-wlm and munge: the
# Slurm test runs a real single-node Slurm (as root); podman, runc and debootstrap: the container
# and release archive tests run the statically linked executables (deploy/container/build-binaries.sh,
# from the .a files of libzmq3-dev's and libhdf5-dev's packages) in a bare Debian image made
# without a registry (as root).
$with_tests && packages+=(python3 python3-venv iproute2 tcpdump slurm-wlm munge podman runc debootstrap)
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
echo "installed: ${packages[*]}"
if $with_tests; then
    # Headless Chromium renders curves.svg in a test. Without its recommended packages: they would
    # pull in about a hundred more (and upgrade systemd).
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null
    echo "installed: chromium-headless-shell"
fi

if $with_tests; then
    # Debian's own Python, not whatever python3 comes first on PATH, so a fresh machine and a
    # developer's give the same environment.
    python=/usr/bin/python3
    [ -x .build/python/bin/python3 ] || "$python" -m venv .build/python
    # pillow reads the PNG Chromium renders curves.svg into; tensorboard reads the event files; onnx and onnxruntime check and run an exported model; keras
    # (on its numpy backend, which imports jax and scipy) loads an exported .keras file; tensorflow-cpu is the backend
    # that runs a .keras file's string preprocessing layers (StringLookup, Hashing on text: the numpy backend has no
    # string tensors) and records the FeatureSpace parity fixtures. It adds about 90 s and 1.4 GB to a fresh environment.
    .build/python/bin/pip install --quiet --disable-pip-version-check safetensors numpy prometheus-client kubernetes-validate pillow \
        tensorboard onnx onnxruntime keras jax h5py tensorflow-cpu
    echo "python test environment: .build/python ($(.build/python/bin/python3 -c 'import safetensors; print("safetensors", safetensors.__version__)'))"
fi
