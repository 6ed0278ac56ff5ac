#!/usr/bin/env bash
# Builds the image dltrain:latest with podman (or docker, or CONTAINER_ENGINE).
#   deploy/container/build.sh              compile inside the official Swift image (needs a registry)
#   deploy/container/build.sh --prebuilt   pack the binaries of deploy/container/build-binaries.sh
#                                          (from .build/release, or DLTRAIN_BIN)
# Extra arguments go to the engine's build command (e.g. --pull=never with a local base image).
set -euo pipefail
cd "$(dirname "$0")/../.."
prebuilt=false
if [ "${1:-}" = "--prebuilt" ]; then prebuilt=true; shift; fi
engine=${CONTAINER_ENGINE:-$(command -v podman || command -v docker || true)}
[ -n "$engine" ] || { echo "build.sh: needs podman or docker (apt-get install podman)" >&2; exit 2; }
tag=${DLTRAIN_IMAGE:-dltrain:latest}

if ! $prebuilt; then
    exec "$engine" build -f deploy/container/Containerfile -t "$tag" "$@" .
fi
bin=${DLTRAIN_BIN:-.build/release}
for tool in dlcoord dlworker dlmodel; do
    [ -x "$bin/$tool" ] || { echo "build.sh: no $bin/$tool; run deploy/container/build-binaries.sh" >&2; exit 2; }
done
# The image installs no library: the executables must need none beyond glibc, libstdc++ and libgcc_s.
deploy/check-linkage.sh "$bin/dlcoord" "$bin/dlworker" "$bin/dlmodel" || exit 2
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir "$context/bin"
cp "$bin/dlcoord" "$bin/dlworker" "$bin/dlmodel" "$context/bin/"
cp -r dataset "$context/dataset"
"$engine" build -f deploy/container/Containerfile.prebuilt -t "$tag" "$@" "$context"
echo "built $tag"
