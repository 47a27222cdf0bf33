#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang-14 in build-fuzz and runs
# each one for a while, starting from a copy of its seed corpus (the
# committed corpus never grows).
#
#   scripts/fuzz.sh [seconds-per-target]        (default 60)
#
# Environment: RMQ_FUZZ_JOBS  ninja parallelism for the build (default 1)
#              RMQ_FUZZ_TARGETS  space-separated subset of targets to run
# Exits non-zero if any target finds a crash (or fails to build); each crash
# input is copied to build-fuzz/crashes/ and its path printed. Ends with
# "N passed, M failed".
set -u
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"
targets=(${RMQ_FUZZ_TARGETS:-fuzz_frame fuzz_json_header fuzz_binary_header fuzz_json_body fuzz_body_decoders fuzz_stored_message fuzz_store_recovery fuzz_fault_plan})

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DRMQ_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || { echo "fuzz: cmake failed"; exit 2; }
ninja -C "$build" -j"${RMQ_FUZZ_JOBS:-1}" "${targets[@]}" || { echo "fuzz: build failed"; exit 2; }

# UBSan findings print their stack too.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
work="$(mktemp -d "${TMPDIR:-/tmp}/rmq-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/crashes"
passed=0
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  cp "$root/fuzz/corpus/$t/"* "$work/$t/corpus/" 2>/dev/null
  args=(-max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10
        -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/")
  case "$t" in
    fuzz_json_header|fuzz_json_body|fuzz_frame|fuzz_body_decoders) args+=(-dict="$root/fuzz/json.dict") ;;
  esac
  log="$work/$t/log"
  "$build/fuzz/$t" "${args[@]}" "$work/$t/corpus" >"$log" 2>&1
  rc=$?
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
  corpus="$(ls "$work/$t/corpus" | wc -l)"
  crashes=("$work/$t/artifacts/"*)
  if [ "$rc" -ne 0 ] || [ -e "${crashes[0]}" ]; then
    failed=$((failed + 1))
    echo "$t: FAILED (exit $rc, ${execs:-?} execs)"
    grep -E 'ERROR|SUMMARY|==[0-9]+==|#[0-9]+ 0x' "$log" | head -30
    for c in "${crashes[@]}"; do
      [ -e "$c" ] || continue
      cp "$c" "$build/crashes/$t-$(basename "$c")"
      echo "  crash input: $build/crashes/$t-$(basename "$c")"
    done
  else
    passed=$((passed + 1))
    echo "$t: ok (${execs:-?} execs in ${seconds}s, corpus ${corpus} inputs)"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
