#!/usr/bin/env bash
# Checks that each executable given links only libraries every Debian 12 (and later) has: glibc's
# (libc, libm, libdl, libpthread, librt, libresolv, the loader), libstdc++ and libgcc_s. Such an executable runs
# on a machine with neither Swift nor dltrain's -dev packages (the release archive, the image).
# deploy/container/build-binaries.sh checks what it built, deploy/release.sh what it packs.
set -euo pipefail

if [ $# -eq 0 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    echo "Usage: deploy/check-linkage.sh EXECUTABLE...  (exit 1 naming each library beyond glibc, libstdc++ and libgcc_s)"
    [ $# -eq 0 ] && exit 2 || exit 0
fi
allowed='^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libresolv\.so\.2|ld-linux-x86-64\.so\.2|libstdc\+\+\.so\.6|libgcc_s\.so\.1)$'
status=0
for executable in "$@"; do
    [ -x "$executable" ] || { echo "check-linkage.sh: no executable $executable" >&2; status=1; continue; }
    # ldd's lines: "NAME => PATH (ADDRESS)", "PATH (ADDRESS)" for the loader, "NAME (ADDRESS)" for the vdso.
    libraries=$(ldd "$executable" | awk '{ print $1 }' | xargs -r -n1 basename)
    extra=$(grep -Ev "$allowed" <<<"$libraries" || true)
    if [ -n "$extra" ]; then
        echo "check-linkage.sh: $executable links libraries beyond glibc, libstdc++ and libgcc_s, which a bare Debian may lack: $(echo $extra)" >&2
        echo "  build it with deploy/container/build-binaries.sh, which links them statically" >&2
        status=1
    fi
done
exit $status
