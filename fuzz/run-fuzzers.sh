#!/usr/bin/env bash
# The libFuzzer targets (fuzz/README.md): builds them with clang into build-fuzz/ (or
# $FUZZ_BUILD_DIR), replays every regression input, then fuzzes each target from its seeds.
#
#   fuzz/run-fuzzers.sh [--short|--full] [target...]
#
# --short (the default, CI): 10 s per target. --full: 10 minutes per target (FUZZ_SECONDS
# overrides either). Exits 1 when a target crashes; the input is kept under
# $FUZZ_WORK/artifacts/<target>/ — once fixed, copy it to fuzz/regressions/<target>/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

seconds=10
# The short mode (CI) starts from a fixed seed, so that CI explores the same inputs as a local
# run of it did: a crash it finds is reproducible, not a lottery. --full explores with random
# seeds; what it finds goes to fuzz/regressions/ (then every run replays it).
seed=(-seed=1)
case "${1:-}" in
  --short) shift ;;
  --full) seconds=600; seed=(); shift ;;
esac
seconds=${FUZZ_SECONDS:-$seconds}
all=(ivr_call routing_rules sla_policy calendar classifier_config store_codec)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

build=${FUZZ_BUILD_DIR:-$repo/build-fuzz}
extra=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$repo
  extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DCOMPLAINTS_FUZZ=ON \
  -DCOMPLAINTS_WERROR=OFF "${extra[@]}" >/dev/null
cmake --build "$build" --target fuzzers -j "$(nproc)"

# Seeds: the committed ones, plus the shipped files each loader reads in production.
shipped() {
  case "$1" in
    routing_rules) ls deploy/routing/*.textproto ;;
    sla_policy) ls deploy/policies/*.textproto ;;
    calendar) ls deploy/calendars/*.calendar ;;
    classifier_config) ls deploy/classifier/classifier.textproto ;;
  esac
}

work=${FUZZ_WORK:-$(mktemp -d)}
status=0
for target in "${targets[@]}"; do
  binary="$build/fuzz/${target}_fuzzer"
  corpus="$work/corpus/$target"
  artifacts="$work/artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  [ -d "fuzz/corpus/$target" ] && cp -r "fuzz/corpus/$target/." "$corpus/"
  for file in $(shipped "$target"); do
    # routing_rules's first byte says which file the rest replaces: 0 rules, 1 units.
    if [ "$target" = routing_rules ]; then
      case "$file" in *units*) prefix='1' ;; *) prefix='0' ;; esac
      { printf '%s' "$prefix"; cat "$file"; } > "$corpus/shipped-$(basename "$file")"
    else
      cp "$file" "$corpus/shipped-$(basename "$file")"
    fi
  done
  regressions=(fuzz/regressions/"$target"/*)
  if [ -e "${regressions[0]}" ]; then
    echo "=== $target: replaying ${#regressions[@]} regression input(s)"
    "$binary" -runs=0 "${regressions[@]}" >"$work/$target-regressions.log" 2>&1 ||
      { echo "$target: a regression input fails again:"; tail -30 "$work/$target-regressions.log"; status=1; }
  fi
  echo "=== $target: fuzzing for ${seconds}s from $(ls "$corpus" | wc -l) seed(s)"
  if "$binary" "${seed[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" >"$work/$target.log" 2>&1; then
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/$target.log" |
      sed "s/^/  /"
  else
    echo "$target: CRASH (input kept in $artifacts; log $work/$target.log):"
    grep -m5 -E "ERROR: |property broken|SUMMARY" "$work/$target.log" || true
    status=1
  fi
done
exit $status
