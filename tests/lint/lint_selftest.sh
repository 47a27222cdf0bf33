#!/usr/bin/env bash
# The determinism lint catches each forbidden construct in a component and
# lets the runtime's own verbs through.
#   tests/lint/lint_selftest.sh path/to/lint.sh
set -u
lint="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0

check() {  # expect(pass|fail) name code
  local expect="$1" name="$2" code="$3"
  rm -rf "$tmp/tree" && mkdir -p "$tmp/tree/broker"
  printf '%s\n' "$code" > "$tmp/tree/broker/x.cc"
  if bash "$lint" "$tmp/tree" >/dev/null 2>&1; then got=pass; else got=fail; fi
  if [ "$got" = "$expect" ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAIL: $name: lint said $got, want $expect"; fi
}

check fail "std::thread"            'void f() { std::thread t([]{}); }'
check fail "std::jthread"           'std::jthread t;'
check fail "std::async"             'auto x = std::async([]{ return 1; });'
check fail "pthread"                'void f() { pthread_create(0, 0, 0, 0); }'
check fail "steady_clock"           'auto t = std::chrono::steady_clock::now();'
check fail "system_clock"           'auto t = std::chrono::system_clock::now();'
check fail "high_resolution_clock"  'auto t = std::chrono::high_resolution_clock::now();'
check fail "clock_gettime"          'void f() { clock_gettime(0, 0); }'
check fail "time(nullptr)"          'long t = time(nullptr);'
check fail "rand"                   'int r = rand();'
check fail "srand"                  'void f() { srand(1); }'
check fail "random_device"          'std::random_device rd;'
check fail "mt19937"                'std::mt19937 g;'
check fail "include random"         '#include <random>'
check fail "this_thread sleep"      'void f() { std::this_thread::sleep_for(std::chrono::seconds(1)); }'
check fail "sleep"                  'void f() { sleep(1); }'
check fail "usleep"                 'void f() { usleep(1); }'
check fail "raw read"               'void f() { ::read(0, nullptr, 0); }'
check fail "raw write"              'void f() { ::write(1, "x", 1); }'
check fail "raw socket"             'int s = ::socket(2, 1, 0);'
check fail "raw connect"            'void f() { ::connect(3, nullptr, 0); }'
check fail "pread"                  'void f() { pread(3, nullptr, 0, 0); }'
check fail "fsync"                  'void f() { fsync(3); }'
check fail "fopen"                  'void f() { fopen("x", "r"); }'
check fail "ofstream"               'std::ofstream out("x");'
check fail "include unistd"         '#include <unistd.h>'
check fail "include sys/socket"     '#include <sys/socket.h>'
check fail "include thread"         '#include <thread>'
check pass "runtime verbs"          'void f(rt::Runtime& rt, rt::Conn& conn, rt::File& file, rt::Listener* listener) {
  rt.sleep_for(std::chrono::seconds(1));
  (void)conn.read_some({});
  (void)rt.connect("127.0.0.1:1", std::chrono::seconds(1));
  (void)listener->accept();
  (void)file.read_at(0, {});
  (void)file.write_at(0, {});
  (void)file.sync();
  int random_count = rt.random().below(3);
}'
check pass "member named like a syscall" 'void RpcClient::close(std::string_view a) {} void Conn::read(int) {}'
check pass "comment mentions"       '// std::thread and steady_clock are forbidden here; rand() too'
check pass "explicit allow"         'auto t = std::chrono::steady_clock::now();  // lint: allow measuring wall time for a log line'

# Excluded folders may use the machine directly.
rm -rf "$tmp/tree" && mkdir -p "$tmp/tree/runtime/real" "$tmp/tree/tests"
echo 'std::thread t;' > "$tmp/tree/runtime/real/x.cc"
echo 'std::thread t;' > "$tmp/tree/tests/x.cc"
if bash "$lint" "$tmp/tree" >/dev/null 2>&1; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAIL: excluded folders were checked"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
