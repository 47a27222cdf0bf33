# Port helpers for the scripts that start real servers on 127.0.0.1
# (sourced). `taken`: space-separated ports already chosen.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {  # a free port P with P+1 free too (a broker's HA port by convention)
  local p
  for _ in $(seq 1 200); do
    # Below Linux's ephemeral range (32768-60999 by default), where another
    # test's outgoing connections could hold the port and the bind fail.
    p=$(( 20000 + RANDOM % 12700 ))
    if port_free "$p" && port_free $((p + 1)) && [[ " ${taken:-} " != *" $p "* ]]; then echo "$p"; return 0; fi
  done
  return 1
}
wait_port() {  # port pid: until something listens there (false if the pid died or 10 s passed)
  for _ in $(seq 1 100); do
    kill -0 "$2" 2>/dev/null || return 1
    port_free "$1" || return 0
    sleep 0.1
  done
  return 1
}
