#!/usr/bin/env bash
# Builds the dlcoord, dlworker and dlmodel that run on a machine with nothing but glibc, libstdc++
# and libgcc_s (the image of build.sh --prebuilt, deploy/install.sh, the archive of deploy/release.sh):
# release, with the Swift runtime and Foundation linked in (--static-swift-stdlib), and ZeroMQ (with
# libsodium, OpenPGM, NORM with its Protolib, and libbsd), HDF5 (with libaec) and zlib linked in
# from the static libraries of Debian's -dev packages (deploy/install-deps.sh). SwiftPM links a system library as
# its pkg-config file says: this script writes files of its own for libzmq, hdf5 and zlib into
# .build/static-link whose -L leads to a folder holding only the .a files, and puts them first on
# PKG_CONFIG_PATH. ZeroMQ's GSSAPI mechanism, which dltrain never uses and for which Debian has no
# static library, is linked to gssapi-unavailable.c. The executables land in .build/release, where
# the usual release build puts them; deploy/check-linkage.sh checks them. (SwiftPM builds everything
# again when PKG_CONFIG_PATH changes: a plain `swift build -c release` before or after this one
# recompiles the whole release build, and links dynamically.)
set -euo pipefail

case "${1:-}" in
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) echo "build-binaries.sh: takes no arguments (see --help)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../.."
multiarch=/usr/lib/$(uname -m)-linux-gnu
link=$PWD/.build/static-link
mkdir -p "$link/lib" "$link/pkgconfig"

# The static libraries, each as the name the linker looks for (-lNAME finds libNAME.a here first).
static() {
    local name=$1 file=$2
    [ -f "$file" ] || {
        echo "build-binaries.sh: no $file: deploy/install-deps.sh installs the -dev packages that hold it" >&2
        exit 2
    }
    ln -sf "$file" "$link/lib/lib$name.a"
}
static zmq "$multiarch/libzmq.a"
static sodium "$multiarch/libsodium.a"
static pgm "$multiarch/libpgm.a"
static norm "$multiarch/libnorm.a"
static protokit "$multiarch/libprotokit.a"
static bsd "$multiarch/libbsd.a"
static md "$multiarch/libmd.a"
static hdf5 "$multiarch/hdf5/serial/libhdf5.a"
static sz "$multiarch/libsz.a"
static aec "$multiarch/libaec.a"
static z "$multiarch/libz.a"
stubs=$link/gssapi-unavailable.o
if [ ! -f "$link/lib/libgssapi-unavailable.a" ] || [ deploy/container/gssapi-unavailable.c -nt "$link/lib/libgssapi-unavailable.a" ]; then
    clang=$(dirname "$(readlink -f "$(command -v swift)")")/clang
    [ -x "$clang" ] || clang=cc
    "$clang" -O2 -fPIC -c deploy/container/gssapi-unavailable.c -o "$stubs"
    rm -f "$link/lib/libgssapi-unavailable.a"
    ar rcs "$link/lib/libgssapi-unavailable.a" "$stubs"
fi

# The same compile flags as Debian's files (so nothing is compiled again), other link flags.
cat >"$link/pkgconfig/libzmq.pc" <<EOF
Name: libzmq
Description: ZeroMQ and its dependencies, linked statically (deploy/container/build-binaries.sh)
Version: $(pkg-config --modversion libzmq)
Libs: -L$link/lib -lzmq -lgssapi-unavailable -lsodium -lpgm -lnorm -lprotokit -lbsd -lmd -lstdc++
Cflags: $(pkg-config --cflags libzmq)
EOF
cat >"$link/pkgconfig/hdf5.pc" <<EOF
Name: hdf5
Description: HDF5 and its dependencies, linked statically (deploy/container/build-binaries.sh)
Version: $(pkg-config --modversion hdf5)
Libs: -L$link/lib -lhdf5 -lsz -laec -lz -ldl -lm
Cflags: $(pkg-config --cflags hdf5)
EOF
# ZIPFoundation (dlmodel's .keras files) links zlib through its own pkg-config file.
cat >"$link/pkgconfig/zlib.pc" <<EOF
Name: zlib
Description: zlib, linked statically (deploy/container/build-binaries.sh)
Version: $(pkg-config --modversion zlib)
Libs: -L$link/lib -lz
Cflags: $(pkg-config --cflags zlib)
EOF

for product in dlcoord dlworker dlmodel; do
    PKG_CONFIG_PATH=$link/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH} \
        swift build -c release --static-swift-stdlib --product "$product"
done
deploy/check-linkage.sh .build/release/dlcoord .build/release/dlworker .build/release/dlmodel
