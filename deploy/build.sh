#!/usr/bin/env bash
# Configures and builds everything into build/ (or $BUILD_DIR). SANITIZE=1 builds with
# AddressSanitizer and UndefinedBehaviorSanitizer into build-asan/ instead.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ "${SANITIZE:-0}" = 1 ]; then
  BUILD_DIR=${BUILD_DIR:-$repo/build-asan}
  extra=(-DCOMPLAINTS_SANITIZE=ON)
else
  BUILD_DIR=${BUILD_DIR:-$repo/build}
  extra=()
fi
# ccache, when installed, lets a second worktree of the repo build from the first one's objects
# (paths under the repo are hashed relative to it).
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$repo
  extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$repo" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${extra[@]}" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
