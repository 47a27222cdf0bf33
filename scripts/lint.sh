#!/usr/bin/env bash
# Determinism lint: components may reach the machine only through the
# runtime. Fails when C++ code outside runtime/real/, sim/, scenarios/real/
# (rmq-chaos's process driver), tests/, bench/ and tools/ uses threads,
# std::chrono clocks, randomness, sleeping, or raw socket/file syscalls.
#
#   scripts/lint.sh [ROOT]      (ROOT defaults to the repository)
#
# A line may opt out with a trailing "// lint: allow <reason>".
set -u
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root" || exit 2

# rule name | PCRE matched against code with // comments removed
rules=(
  "thread|\bstd::(thread|jthread|async)\b|\bpthread_\w+"
  "clock|\b(steady_clock|system_clock|high_resolution_clock|utc_clock|file_clock)\b|\b(clock_gettime|gettimeofday)\s*\(|\btime\s*\(\s*(NULL|nullptr|0)\s*\)"
  "randomness|(?<![\w.>:])s?rand\s*\(|\brandom_device\b|\bstd::(mt19937|mt19937_64|default_random_engine|minstd_rand)\b|#\s*include\s*<random>"
  "sleep|\bthis_thread\b|(?<![\w.>:])(sleep|usleep|nanosleep)\s*\("
  "syscall|(?<![\w>])::(socket|connect|bind|listen|accept|accept4|read|write|pread|pwrite|pread64|pwrite64|open|openat|close|fsync|fdatasync|ftruncate|mmap|sendfile|recv|send|unlink|rename)\s*\(|(?<![\w.>:])(pread|pwrite|pread64|pwrite64|fsync|fdatasync|fopen|mmap|openat|recvfrom|sendto)\s*\(|#\s*include\s*<(fstream|sys/socket\.h|unistd\.h|fcntl\.h|sys/mman\.h|netinet/in\.h|arpa/inet\.h|thread)>|\bstd::(ofstream|ifstream|fstream)\b"
)

mapfile -t files < <(find . \( -path ./build -o -path './build-*' -o -path ./.git -o -path ./node_modules \
                                -o -path ./runtime/real -o -path ./sim -o -path ./tests -o -path ./bench \
                                -o -path ./tools -o -path ./scenarios/real -o -path ./scripts -o -path ./docs \) -prune -o \
                            -type f \( -name '*.cc' -o -name '*.h' -o -name '*.cpp' -o -name '*.hpp' \) -print | sort)

violations=0
for f in "${files[@]}"; do
  # Strip // comments (naively, outside of string awareness) and keep line numbers.
  stripped=$(sed -E 's#//.*$##' "$f")
  for rule in "${rules[@]}"; do
    name="${rule%%|*}"
    pattern="${rule#*|}"
    while IFS= read -r hit; do
      [ -z "$hit" ] && continue
      line="${hit%%:*}"
      if sed -n "${line}p" "$f" | grep -q '// lint: allow'; then continue; fi
      echo "${f#./}:${line}: ${name}: $(sed -n "${line}p" "$f" | sed -E 's/^[[:space:]]+//')"
      violations=$((violations + 1))
    done < <(printf '%s\n' "$stripped" | grep -nP -- "$pattern" || true)
  done
done

if [ "$violations" -gt 0 ]; then
  echo "lint: $violations violation(s): components must use the runtime (runtime/runtime.h) instead"
  exit 1
fi
echo "lint: ok (${#files[@]} files checked)"
