#!/bin/bash
# build.sh - install missing packages, then configure and build snmpmgrd in
# build/ (out of the source tree).  Extra arguments go to configure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q "$@"
make -j"$(nproc)" >/dev/null
