#!/usr/bin/env bash
# Makes the release archive dltrain-VERSION-linux-x86_64.tar.gz (VERSION from
# Sources/DLCore/Version.swift) and its SHA-256 sums file beside it. The archive holds the
# statically linked dlcoord, dlworker and dlmodel of deploy/container/build-binaries.sh (they need
# only glibc, libstdc++ and libgcc_s: no Swift, no -dev package), the seed data set, the
# documentation, the licences of what is linked in, install.sh and INSTALL.md. Its bytes depend only
# on the executables and the sources: file order, owners and times are fixed (times: the last commit's).
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: deploy/release.sh [--from DIR] [--output DIR]

Makes DIR/dltrain-VERSION-linux-x86_64.tar.gz and DIR/dltrain-VERSION-linux-x86_64.tar.gz.sha256
(check it with: sha256sum -c dltrain-VERSION-linux-x86_64.tar.gz.sha256).

  --from DIR     pack the executables in DIR, built by deploy/container/build-binaries.sh
                 (default: run it, then take .build/release)
  --output DIR   where to write the archive and its sums file (default: .build/dist)
  -h, --help     show this help
EOF
}

from=""
output=""
while [ $# -gt 0 ]; do
    case "$1" in
        --from) [ $# -ge 2 ] || { echo "release.sh: --from needs a directory" >&2; exit 2; }; from=$2; shift 2 ;;
        --from=*) from=${1#--from=}; shift ;;
        --output) [ $# -ge 2 ] || { echo "release.sh: --output needs a directory" >&2; exit 2; }; output=$2; shift 2 ;;
        --output=*) output=${1#--output=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "release.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
# Relative paths are the caller's; the work happens at the repository's root.
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
[ -z "$from" ] || from=$(absolute "$from")
output=$(absolute "${output:-$(dirname "$0")/../.build/dist}")
cd "$(dirname "$0")/.."

version=$(sed -n 's/^ *public static let current = "\([^"]*\)".*/\1/p' Sources/DLCore/Version.swift)
[ -n "$version" ] || { echo "release.sh: no version in Sources/DLCore/Version.swift" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "release.sh: makes the x86_64 archive; this is $(uname -m)" >&2; exit 1; }
if [ -z "$from" ]; then
    deploy/container/build-binaries.sh
    from=$PWD/.build/release
fi
tools=(dlcoord dlworker dlmodel)
for tool in "${tools[@]}"; do
    built=$("$from/$tool" --version 2>/dev/null) || { echo "release.sh: $from/$tool does not run" >&2; exit 1; }
    [ "$built" = "$version" ] || {
        echo "release.sh: $from/$tool is version $built, the sources $version: build it again (deploy/container/build-binaries.sh)" >&2
        exit 1
    }
done
deploy/check-linkage.sh "${tools[@]/#/$from/}"

name=dltrain-$version-linux-x86_64
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/$name
share=$root/share/dltrain
mkdir -p "$root/bin" "$share/dataset" "$share/docs" "$share/licenses"
# Without their debug information (a quarter of their size); the symbols stay, for backtraces.
for tool in "${tools[@]}"; do
    strip --strip-debug -o "$root/bin/$tool" "$from/$tool"
    chmod 755 "$root/bin/$tool"
done
install -m 644 dataset/* "$share/dataset/"
install -m 644 README.md "$share/"
install -m 644 docs/*.md "$share/docs/"
install -m 755 deploy/install.sh "$root/"
sed "s/@VERSION@/$version/g" deploy/INSTALL.md >"$root/INSTALL.md"
# The licences of what the executables link in: the Swift runtime and Foundation (with its ICU,
# under the Unicode licence Debian's ICU copyright file holds), and Debian's libraries
# (deploy/container/build-binaries.sh names them).
swift_licence=$(dirname "$(readlink -f "$(command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)")")/../share/swift/LICENSE.txt
[ -f "$swift_licence" ] || { echo "release.sh: no Swift licence at $swift_licence" >&2; exit 1; }
install -m 644 "$swift_licence" "$share/licenses/swift.LICENSE.txt"
for package in libicu72 libzmq5 libsodium23 libpgm-5.3-0 libnorm1 libbsd0 libmd0 libhdf5-103-1 libaec0 libsz2 zlib1g; do
    copyright=/usr/share/doc/$package/copyright
    [ -f "$copyright" ] || { echo "release.sh: no $copyright (apt-get install $package)" >&2; exit 1; }
    install -m 644 "$copyright" "$share/licenses/$package.copyright"
done

mkdir -p "$output"
output=$(cd "$output" && pwd)
stamp=$(git log -1 --format=%ct 2>/dev/null || date +%s)
tar --sort=name --owner=0 --group=0 --numeric-owner --mode=u+rwX,go+rX,go-w --mtime="@$stamp" -C "$stage" -cf - "$name" | gzip -n >"$output/$name.tar.gz.part"
mv -f "$output/$name.tar.gz.part" "$output/$name.tar.gz"
(cd "$output" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "made $output/$name.tar.gz ($(du -h "$output/$name.tar.gz" | cut -f1)) and $name.tar.gz.sha256 beside it"
