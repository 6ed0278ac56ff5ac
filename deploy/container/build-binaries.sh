#!/usr/bin/env bash
# Builds the dlcoord, dlworker and dlmodel an image packs (build.sh --prebuilt): release, with the Swift
# runtime linked in (--static-swift-stdlib), so the image needs only Debian's libzmq5, libcurl4 and (dlmodel) libhdf5-103-1.
# They land in .build/release, where the usual release build puts them; they work the same.
set -euo pipefail
cd "$(dirname "$0")/../.."
for product in dlcoord dlworker dlmodel; do
    swift build -c release --static-swift-stdlib --product "$product"
done
