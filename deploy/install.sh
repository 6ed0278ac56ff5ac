#!/usr/bin/env bash
# Installs dltrain: dlcoord, dlworker and dlmodel into PREFIX/bin, and the seed data set, the
# documentation and the licences into PREFIX/share/dltrain (where `dlcoord` with no options finds
# dataset/ThoraricSurgery.csv when the current directory has none). From a clone it first builds
# the executables (release, statically linked: deploy/container/build-binaries.sh, which does
# nothing when they are up to date); from an unpacked release archive it installs the archive's.
# Running it again replaces what it installed, even executables that are running.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: install.sh [--prefix DIR] [--from DIR]      (deploy/install.sh in a clone)

Installs dlcoord, dlworker and dlmodel into DIR/bin, and the seed data set, the documentation and
the licences into DIR/share/dltrain.

  --prefix DIR   where to install (default: /usr/local; e.g. ~/.local needs no root)
  --from DIR     install the executables found in DIR instead of building them (a build's
                 folder, e.g. .build/release); default: build them in a clone
                 (deploy/container/build-binaries.sh), or take the release archive's bin/
  -h, --help     show this help

Then `dlcoord --workers 4 --spawn` trains the seed job from any directory, if DIR/bin is on PATH.
EOF
}

prefix=/usr/local
from=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        --from) [ $# -ge 2 ] || { echo "install.sh: --from needs a directory" >&2; exit 2; }; from=$2; shift 2 ;;
        --from=*) from=${1#--from=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ -n "$prefix" ] || { echo "install.sh: --prefix is empty" >&2; exit 2; }
case "$prefix" in /*) ;; *) prefix=$PWD/$prefix ;; esac
if [ -n "$from" ]; then
    [ -d "$from" ] || { echo "install.sh: --from $from: no such directory" >&2; exit 2; }
    from=$(cd "$from" && pwd)
fi

here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
tools=(dlcoord dlworker dlmodel)
if [ -f "$here/../Package.swift" ]; then
    # A clone: deploy/install.sh.
    source_root=$(cd "$here/.." && pwd)
    data=$source_root/dataset
    docs=("$source_root/README.md" "$source_root/docs")
    licences=""
    if [ -z "$from" ]; then
        command -v swift >/dev/null || {
            echo "install.sh: building needs Swift 6.2 or later (see README.md); or install a release archive's executables" >&2
            exit 2
        }
        echo "install.sh: building the executables (deploy/container/build-binaries.sh)"
        "$source_root/deploy/container/build-binaries.sh"
        from=$source_root/.build/release
    fi
elif [ -x "$here/bin/dlcoord" ]; then
    # An unpacked release archive: install.sh beside bin/ and share/.
    data=$here/share/dltrain/dataset
    docs=("$here/share/dltrain/README.md" "$here/share/dltrain/docs")
    licences=$here/share/dltrain/licenses
    from=${from:-$here/bin}
else
    echo "install.sh: run it from a clone of dltrain (deploy/install.sh) or from an unpacked release archive" >&2
    exit 2
fi
for tool in "${tools[@]}"; do
    [ -x "$from/$tool" ] || { echo "install.sh: no executable $from/$tool" >&2; exit 2; }
done

bin=$prefix/bin
share=$prefix/share/dltrain
if ! mkdir -p "$bin" "$share" 2>/dev/null || [ ! -w "$bin" ] || [ ! -w "$share" ]; then
    echo "install.sh: cannot write to $prefix: run it as root (sudo), or choose a prefix you own (--prefix ~/.local)" >&2
    exit 1
fi

# Each file is copied beside its destination, then renamed over it: a running executable is
# replaced (the running process keeps the old file), and a failure leaves the old one whole.
place() {
    local source=$1 destination=$2 mode=$3
    install -m "$mode" "$source" "$destination.installing.$$"
    mv -f "$destination.installing.$$" "$destination"
}
for tool in "${tools[@]}"; do place "$from/$tool" "$bin/$tool" 755; done
mkdir -p "$share/dataset" "$share/docs"
for file in "$data"/*; do place "$file" "$share/dataset/$(basename "$file")" 644; done
place "${docs[0]}" "$share/README.md" 644
for file in "${docs[1]}"/*.md; do place "$file" "$share/docs/$(basename "$file")" 644; done
if [ -n "$licences" ] && [ -d "$licences" ]; then
    mkdir -p "$share/licenses"
    for file in "$licences"/*; do place "$file" "$share/licenses/$(basename "$file")" 644; done
fi

# The installed executables must run here (a missing library shows now, not at the first job).
version=$("$bin/dlcoord" --version) || { echo "install.sh: $bin/dlcoord does not run here; see the errors above" >&2; exit 1; }
echo "installed dltrain $version:"
echo "  $bin/dlcoord, $bin/dlworker, $bin/dlmodel"
echo "  $share/dataset (the seed data: \`dlcoord\` with no options trains on it from any directory)"
echo "  $share/README.md, $share/docs$([ -d "$share/licenses" ] && echo ", $share/licenses")"
case ":$PATH:" in
    *":$bin:"*) ;;
    *) echo "$bin is not on PATH: add it, e.g. export PATH=\"$bin:\$PATH\" in ~/.profile" ;;
esac
echo "to uninstall: rm -r $bin/dlcoord $bin/dlworker $bin/dlmodel $share"
