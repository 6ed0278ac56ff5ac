#!/usr/bin/env bash
# Regenerates the Swift protobuf code committed in Sources/ONNXFormat (ONNX's onnx.proto) and
# Sources/TensorBoardFormat (TensorBoard's event file protos: event.proto and what it imports).
#
# A developer tool: neither the build nor CI runs it. The generated *.pb.swift files are committed,
# so building the package needs only the SwiftProtobuf runtime, not protoc or the plugin (building
# swift-protobuf's plugin from source costs minutes on every clean build). Run it again only to move
# to another version of one of the inputs below, then commit the result.
#
# What the committed files were generated with:
#   onnx         1.23.2   (PyPI)  onnx/onnx.proto, proto2, package onnx          -> Onnx_*
#   tensorboard  2.21.0   (PyPI)  tensorboard/compat/proto/*.proto, proto3,
#                                 package tensorboard                            -> Tensorboard_*
#   protobuf     7.36.2   (PyPI)  only to load tensorboard's *_pb2 modules (below)
#   protoc       libprotoc 3.21.12 (Debian 12's protobuf-compiler 3.21.12-3+deb12u1)
#   protoc-gen-swift 1.39.0, built from apple/swift-protobuf at tag 1.39.0, the same version as
#                the SwiftProtobuf runtime the package depends on (the two must match)
#   options      Visibility=Public, FileNaming=DropPath (flat file names)
#
# The tensorboard wheel ships no .proto files, only the generated *_pb2.py modules. Each of those
# embeds its file's FileDescriptorProto, so this script collects the descriptors of event.proto and
# its imports into a descriptor set and hands that to protoc (--descriptor_set_in). The Swift code
# is the same as protoc makes from the .proto sources at tensorboard's git tag 2.21.0 except that it
# has no doc comments (descriptors carry no comments).
#
# Everything it downloads or builds goes to .build/formats/ (a Python venv and a swift-protobuf
# checkout). It installs Debian's protobuf-compiler when protoc is missing.
#
# Usage: deploy/generate-formats.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ONNX_VERSION=1.23.2
TENSORBOARD_VERSION=2.21.0
PROTOBUF_PY_VERSION=7.36.2
SWIFT_PROTOBUF_VERSION=1.39.0
PROTOC_VERSION="libprotoc 3.21.12"
# The same address as the package's dependency; on these machines git reads it from the local copy
# (/opt/swift-packages/apple/swift-protobuf.git).
SWIFT_PROTOBUF_GIT=https://github.com/apple/swift-protobuf.git

work=.build/formats
onnx_out=Sources/ONNXFormat
tensorboard_out=Sources/TensorBoardFormat
tensorboard_protos=(event summary tensor tensor_shape types resource_handle histogram)

# protoc, from Debian.
if ! command -v protoc >/dev/null; then
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq protobuf-compiler >/dev/null
fi
if [ "$(protoc --version)" != "$PROTOC_VERSION" ]; then
    echo "warning: $(protoc --version), not $PROTOC_VERSION as for the committed files; check the diff" >&2
fi

# protoc-gen-swift, from swift-protobuf at the runtime's version.
mkdir -p "$work"
plugin_src="$work/swift-protobuf"
if [ ! -d "$plugin_src" ]; then
    git -c advice.detachedHead=false clone --quiet --branch "$SWIFT_PROTOBUF_VERSION" "$SWIFT_PROTOBUF_GIT" "$plugin_src"
fi
git -C "$plugin_src" -c advice.detachedHead=false checkout --quiet "$SWIFT_PROTOBUF_VERSION"
echo "building protoc-gen-swift $SWIFT_PROTOBUF_VERSION (a few minutes the first time)"
(cd "$plugin_src" && swift build -c release --product protoc-gen-swift >/dev/null)
plugin="$(cd "$plugin_src" && swift build -c release --show-bin-path)/protoc-gen-swift"
if [ "$("$plugin" --version)" != "protoc-gen-swift $SWIFT_PROTOBUF_VERSION" ]; then
    echo "error: $plugin is $("$plugin" --version), not $SWIFT_PROTOBUF_VERSION" >&2
    exit 1
fi

# The .proto files (onnx) and descriptors (tensorboard), from PyPI. Debian's own Python, not
# whatever python3 comes first on PATH.
venv="$work/venv"
[ -x "$venv/bin/python3" ] || /usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    "onnx==$ONNX_VERSION" "tensorboard==$TENSORBOARD_VERSION" "protobuf==$PROTOBUF_PY_VERSION"
site_packages="$("$venv/bin/python3" -c 'import onnx, os; print(os.path.dirname(os.path.dirname(onnx.__file__)))')"

descriptor_set="$work/tensorboard-event.protoset"
"$venv/bin/python3" - "$descriptor_set" <<'EOF'
# event.proto and its imports, dependencies first, as tensorboard's *_pb2 modules embed them.
import importlib, sys
from google.protobuf import descriptor_pb2
seen, ordered = set(), []
def walk(fd):
    if fd.name in seen:
        return
    seen.add(fd.name)
    for dep in fd.dependencies:
        walk(dep)
    ordered.append(fd)
walk(importlib.import_module("tensorboard.compat.proto.event_pb2").DESCRIPTOR)
fds = descriptor_pb2.FileDescriptorSet()
for fd in ordered:
    fds.file.add().ParseFromString(fd.serialized_pb)
with open(sys.argv[1], "wb") as f:
    f.write(fds.SerializeToString(deterministic=True))
EOF

# Generate. Only *.pb.swift files are replaced: anything hand-written beside them stays.
swift_opts=(--plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath)
mkdir -p "$onnx_out" "$tensorboard_out"
rm -f "$onnx_out"/*.pb.swift "$tensorboard_out"/*.pb.swift
protoc "${swift_opts[@]}" -I "$site_packages" --swift_out="$onnx_out" "$site_packages/onnx/onnx.proto"
tensorboard_files=()
for name in "${tensorboard_protos[@]}"; do tensorboard_files+=("tensorboard/compat/proto/$name.proto"); done
protoc "${swift_opts[@]}" --descriptor_set_in="$descriptor_set" --swift_out="$tensorboard_out" "${tensorboard_files[@]}"

echo "generated:"
wc -l "$onnx_out"/*.pb.swift "$tensorboard_out"/*.pb.swift
