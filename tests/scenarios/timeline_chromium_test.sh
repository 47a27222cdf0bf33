#!/usr/bin/env bash
# The HTML timeline of a real simulated run, rendered by headless Chromium
# (Debian's chromium): its script ran (no error stopped it), it has a lane
# per node and fault shading, and with --expect-failure a failure mark and
# the offending messages.
#
#   tests/scenarios/timeline_chromium_test.sh RMQ_SIM SCENARIO SEED [--expect-failure] [--screenshot PNG]
set -u
sim=${1:?usage: $0 RMQ_SIM SCENARIO SEED [--expect-failure] [--screenshot PNG]}
scenario=${2:?scenario}
seed=${3:?seed}
shift 3
expect_failure=0; shot=""
while [ $# -gt 0 ]; do
  case "$1" in
    --expect-failure) expect_failure=1 ;;
    --screenshot) shot=$2; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "FAIL: chromium is missing (apt-get install chromium)"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
passed=0; failed=0
check() { if [ "$2" -eq 0 ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAIL: $1"; fi; }

"$sim" run --scenario "$scenario" --seed "$seed" --html "$work/t.html" >"$work/run.txt" 2>&1; rc=$?
want=0; [ "$expect_failure" = 1 ] && want=1
check "rmq-sim run exits $want (got $rc: $(tail -n 2 "$work/run.txt"))" "$([ "$rc" -eq "$want" ]; echo $?)"
check "the timeline was written" "$([ -s "$work/t.html" ]; echo $?)"
# Headless Chromium's DOM after the page's script ran.
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile")
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$work/t.html" >"$work/dom.html" 2>"$work/chromium.err"
check "chromium rendered the page ($(tail -n 1 "$work/chromium.err"))" "$([ -s "$work/dom.html" ]; echo $?)"
check "its script ran to the end" "$(grep -q 'data-ready="yes"' "$work/dom.html"; echo $?)"
lanes=$(grep -o 'class="lane-label"' "$work/dom.html" | wc -l)
info_lanes=$(grep -o '<div id="info">[0-9]* lanes' "$work/dom.html" | grep -o '[0-9]*' | head -1)
# What each scenario has to draw: ping and registration-at-scale run three
# nodes or more, the others four or more; long-poll and retry-dlq inject no
# faults, every other one does.
min_lanes=4
case "$scenario" in ping|registration-at-scale) min_lanes=3 ;; esac
check "a lane per node ($lanes labels, the page says ${info_lanes:-?})" "$([ "$lanes" -ge $min_lanes ] && [ "$lanes" = "${info_lanes:-x}" ]; echo $?)"
case "$scenario" in
  long-poll|retry-dlq)
    check "no fault shaded, and the page says so" \
      "$(! grep -q 'class="fault ' "$work/dom.html" && grep -q ' 0 fault intervals' "$work/dom.html"; echo $?)" ;;
  *) check "fault intervals are shaded" "$(grep -q 'class="fault ' "$work/dom.html"; echo $?)" ;;
esac
# The scenarios that keep no client history draw their nodes, faults and
# failures only; every other one draws its messages.
case "$scenario" in
  ping|broker-crash|broker-power-loss|long-poll|consumer-heartbeat-loss|registration-at-scale)
    check "no messages, and the page says so" \
      "$(! grep -q 'class="send ' "$work/dom.html" && grep -q ' 0 sends (0 drawn)' "$work/dom.html"; echo $?)" ;;
  *)
    check "messages are drawn" "$(grep -q 'class="send ' "$work/dom.html" && grep -q 'class="deliver' "$work/dom.html"; echo $?)" ;;
esac
if [ "$expect_failure" = 1 ]; then
  check "the failure is marked" "$(grep -q 'id="failure-0"' "$work/dom.html"; echo $?)"
  # A history checker's failure names its messages; a scenario's own check
  # names none and is marked when it was found (its title says when), or at
  # the run's end when it could not say.
  check "the offending messages, or the failure's time, are shown" \
    "$(grep -Eq 'class="[a-z -]* offending"' "$work/dom.html" ||
       grep -Eq '<line id="failure-[0-9]+" class="failure"[^>]*><title>[^<]*( at [0-9]+\.[0-9]{3}s| \(time not recorded\))</title>' "$work/dom.html"; echo $?)"
else
  check "a passing run says so" "$(grep -q 'Every checker passed.' "$work/dom.html" && ! grep -q 'id="failure-0"' "$work/dom.html"; echo $?)"
fi
if [ -n "$shot" ]; then
  timeout 120 "$browser" "${flags[@]}" --window-size=1640,640 --screenshot="$shot" "file://$work/t.html" >/dev/null 2>&1
  check "the screenshot was written" "$([ -s "$shot" ]; echo $?)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
