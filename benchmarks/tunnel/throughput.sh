#!/usr/bin/env bash
# Tunnel throughput: iperf3 TCP through WireGuard in two network namespaces, same run, same layout:
#   (a) wireguard-go <-> wireguard-go          (baseline)
#   (b) Tessera agent <-> wireguard-go
#   (c) Tessera agent <-> Tessera agent, enforcer on (a compiled filter allowing iperf3 and ICMP)
# Prints Mbit/s, CPU use of the tunnel daemons and the ratios (b)/(a), (c)/(a).
#
# Needs root, wireguard-go, wireguard-tools, iperf3, iproute2. Traffic stays inside two private
# namespaces (underlay 198.18.61.0/24, tunnel 10.214.0.0/24); both are deleted on exit.
#
# Usage: sudo benchmarks/tunnel/throughput.sh [SECONDS]   (default 10 s per run)
#   REVERSE=1      also measure B->A (iperf3 -R) for each pair
#   AGENT_CP=...   class path for the agent (default: the CLI jar, built if missing)
#   AGENT_JAVA_OPTS="..." extra JVM options for the agents
#   PAIRS="a c"    run only some of the pairs
#   ROUNDS=3       repeat the pairs, interleaved, and report medians (a shared host is noisy)
#   WARMUP=3       seconds of untimed iperf3 before each measurement (JIT warm-up)
#   DEBUG=1        print UDP receive-buffer drops and TCP retransmissions per namespace
set -euo pipefail
SECONDS_PER_RUN="${1:-10}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
. "$ROOT/bin/lib/env.sh"

[ "$(id -u)" = 0 ] || { echo "throughput.sh: needs root (network namespaces, TUN)" >&2; exit 2; }
for t in wireguard-go wg iperf3 ip; do
  command -v "$t" >/dev/null || { echo "throughput.sh: missing $t (apt-get install --no-install-recommends wireguard-go wireguard-tools iperf3 iproute2)" >&2; exit 2; }
done

if [ -z "${AGENT_CP:-}" ]; then
  tessera_ensure_cli
  AGENT_CP="$ROOT/cli/target/tessera-cli.jar"
fi

ID="$$"
NSA="tsrbench-a-$ID"; NSB="tsrbench-b-$ID"
UA=198.18.61.1; UB=198.18.61.2; TA=10.214.0.1; TB=10.214.0.2
WORK="$(mktemp -d /tmp/tsrbench.XXXXXX)"
PIDS=()
IFACES=()

cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  ip netns del "$NSA" 2>/dev/null; ip netns del "$NSB" 2>/dev/null
  for i in "${IFACES[@]}"; do rm -f "/var/run/wireguard/$i.sock" "/var/run/tessera/$i.pid"; done
  if [ -n "${KEEP_WORK:-}" ]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

ip netns add "$NSA"; ip netns add "$NSB"
ip link add veth0 netns "$NSA" type veth peer name veth0 netns "$NSB"
ip -n "$NSA" addr add "$UA/24" dev veth0; ip -n "$NSB" addr add "$UB/24" dev veth0
for n in "$NSA" "$NSB"; do ip -n "$n" link set lo up; ip -n "$n" link set veth0 up; done

KA="$(wg genkey)"; KB="$(wg genkey)"; PA="$(echo "$KA" | wg pubkey)"; PB="$(echo "$KB" | wg pubkey)"
echo "$KA" > "$WORK/ka"; echo "$KB" > "$WORK/kb"; chmod 600 "$WORK/ka" "$WORK/kb"

# start_wggo NS IFACE KEYFILE PORT TUNADDR PEERPUB PEERTUN PEERENDPOINT
start_wggo() {
  local ns="$1" ifc="$2"
  IFACES+=("$ifc")
  ip netns exec "$ns" env LOG_LEVEL=error wireguard-go -f "$ifc" >"$WORK/$ifc.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 100); do [ -S "/var/run/wireguard/$ifc.sock" ] && break; sleep 0.05; done
  ip netns exec "$ns" wg set "$ifc" private-key "$3" listen-port "$4" peer "$6" allowed-ips "$7/32" endpoint "$8"
  ip -n "$ns" addr add "$5/24" dev "$ifc"
  ip -n "$ns" link set dev "$ifc" mtu 1420 up
}

# start_tessera NS IFACE PRIVKEY PORT TUNADDR PEERPUB PEERTUN PEERENDPOINT [FILTER]
start_tessera() {
  local ns="$1" ifc="$2" filter="${9:-}"
  IFACES+=("$ifc")
  cat >"$WORK/$ifc.conf" <<CONF
[Interface]
PrivateKey = $3
Address = $5/24
ListenPort = $4
MTU = 1420

[Peer]
PublicKey = $6
AllowedIPs = $7/32
Endpoint = $8
CONF
  if [ -n "$filter" ]; then printf '\n[Tessera]\nFilterFile = %s\n' "$filter" >>"$WORK/$ifc.conf"; fi
  # C2 JIT on (the CLI launcher stops at C1 for fast start-up; a data path needs C2).
  ip netns exec "$ns" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xms256m -Xmx256m \
    ${AGENT_JAVA_OPTS:-} -cp "$AGENT_CP" dev.tessera.agent.AgentMain --config "$WORK/$ifc.conf" --interface "$ifc" \
    >"$WORK/$ifc.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 200); do
    [ -S "/var/run/wireguard/$ifc.sock" ] && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || { echo "agent $ifc died:" >&2; cat "$WORK/$ifc.log" >&2; exit 1; }
    sleep 0.1
  done
}

# dump_status IFACE: the agent's Tessera status (filter mode, enforcer and WireGuard counters)
dump_status() {
  if command -v nc >/dev/null; then
    printf 'tessera=1\n\n' | nc -U -q1 "/var/run/wireguard/$1.sock" 2>/dev/null | grep -v '=0$' >"$WORK/$1.status" || true
  fi
}

stop_daemons() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
  PIDS=()
}

# CPU ticks (utime+stime) of the given pids and their threads
ticks() { local s=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && s=$((s + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "$s"; }
# the daemons: the wireguard-go/java processes under the `ip netns exec` wrappers we started
daemon_pids() { local p c; for p in "${PIDS[@]}"; do c="$(pgrep -P "$p" || true)"; echo "${c:-$p}"; done; }

# measure LABEL [REVERSE]: warm-up, then iperf3 from A to B (or B to A) for SECONDS_PER_RUN
measure() {
  local label="$1" rev="${2:-}" hz; hz="$(getconf CLK_TCK)"
  ip netns exec "$NSA" ping -c 3 -i 0.2 -W 5 -w 20 "$TB" >/dev/null || { echo "$label: no connectivity" >&2; return 1; }
  ip netns exec "$NSB" iperf3 -s -B "$TB" -p 5201 >"$WORK/iperf-s.log" 2>&1 &
  local srv=$!
  sleep 0.5
  # warm-up (JIT) run, not counted
  ip netns exec "$NSA" iperf3 -c "$TB" -p 5201 -t "${WARMUP:-3}" $rev >/dev/null 2>&1 || true
  local dp; dp="$(daemon_pids | tr '\n' ' ')"
  local t0 c0 t1 c1; t0="$(date +%s%N)"; c0="$(ticks $dp)"
  ip netns exec "$NSA" iperf3 -c "$TB" -p 5201 -t "$SECONDS_PER_RUN" -J $rev >"$WORK/iperf-$label.json"
  t1="$(date +%s%N)"; c1="$(ticks $dp)"
  kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true
  local bps; bps="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"])' "$WORK/iperf-$label.json" 2>/dev/null \
    || grep -A8 '"sum_received"' "$WORK/iperf-$label.json" | sed -n 's/.*"bits_per_second":[[:space:]]*\([0-9.e+]*\).*/\1/p' | head -1)"
  local cpu; cpu="$(awk -v t="$((c1 - c0))" -v hz="$hz" -v ns="$((t1 - t0))" 'BEGIN{printf "%.0f", 100*t/hz/(ns/1e9)}')"
  if [ -n "${DEBUG:-}" ]; then
    for n in "$NSA" "$NSB"; do
      echo "$label $n: $(ip netns exec "$n" nstat -az UdpRcvbufErrors UdpSndbufErrors UdpInErrors TcpRetransSegs 2>/dev/null | tail -n +2 | awk '{printf "%s=%s ", $1, $2}')" >&2
    done
  fi
  printf '%s %s %s\n' "$label" "$bps" "$cpu"
}

LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"
RESULTS="$WORK/results"
: >"$RESULTS"
dirs=("")
[ -n "${REVERSE:-}" ] && dirs+=("-R")

run_pair() { # label
  for d in "${dirs[@]}"; do measure "$1${d:+(reverse)}" "$d" >>"$RESULTS"; done
}

PAIRS="${PAIRS:-a b c}"
ROUNDS="${ROUNDS:-1}"
want() { [[ " $PAIRS " == *" $1 "* ]]; }

for round in $(seq "$ROUNDS"); do
  if want a; then
    echo "== round $round: (a) wireguard-go <-> wireguard-go" >&2
    start_wggo "$NSA" "tba$ID" "$WORK/ka" 51820 "$TA" "$PB" "$TB" "$UB:51821"
    start_wggo "$NSB" "tbb$ID" "$WORK/kb" 51821 "$TB" "$PA" "$TA" "$UA:51820"
    run_pair a; stop_daemons
  fi
  if want b; then
    echo "== round $round: (b) Tessera <-> wireguard-go" >&2
    start_tessera "$NSA" "tta$ID" "$KA" 51820 "$TA" "$PB" "$TB" "$UB:51821"
    start_wggo "$NSB" "tbb$ID" "$WORK/kb" 51821 "$TB" "$PA" "$TA" "$UA:51820"
    run_pair b; stop_daemons
  fi
  if want c; then
    echo "== round $round: (c) Tessera <-> Tessera, enforcer on" >&2
    start_tessera "$NSA" "tta$ID" "$KA" 51820 "$TA" "$PB" "$TB" "$UB:51821" "$HERE/filter-allow-iperf.json"
    start_tessera "$NSB" "ttb$ID" "$KB" 51821 "$TB" "$PA" "$TA" "$UA:51820" "$HERE/filter-allow-iperf.json"
    grep -q "enforcing filter" "$WORK/tta$ID.log" || { echo "filter not loaded:" >&2; cat "$WORK/tta$ID.log" >&2; exit 1; }
    run_pair c
    dump_status "tta$ID"; dump_status "ttb$ID"
    if [ -s "$WORK/ttb$ID.status" ]; then
      echo "(c) enforcer counters, sender A: $(grep -E '^(filter_mode|accept_|drop_)' "$WORK/tta$ID.status" | tr '\n' ' ')" >&2
      echo "(c) enforcer counters, receiver B: $(grep -E '^(filter_mode|accept_|drop_)' "$WORK/ttb$ID.status" | tr '\n' ' ')" >&2
    fi
    stop_daemons
  fi
done

echo
echo "load average before/after: $LOAD0 / $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) cores)"
printf '%-14s %8s %10s %12s   %s\n' "pair" "runs" "median" "daemon CPU%" "all runs (Mbit/s)"
sort -k1,1 -s "$RESULTS" | awk '
  function median(arr, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2 }
  { n[$1]++; v[$1, n[$1]] = $2 / 1e6; c[$1, n[$1]] = $3; all[$1] = all[$1] sprintf(" %.0f", $2 / 1e6) }
  END {
    for (k in n) { for (i = 1; i <= n[k]; i++) { a[i] = v[k, i]; b[i] = c[k, i] } m[k] = median(a, n[k]); mc[k] = median(b, n[k]);
      printf "%-14s %8d %10.0f %12.0f  %s\n", k, n[k], m[k], mc[k], all[k] }
    if (m["a"] > 0) printf "\nratio (b)/(a) = %.2f   ratio (c)/(a) = %.2f   (medians)\n", m["b"] / m["a"], m["c"] / m["a"];
    if (m["a(reverse)"] > 0) printf "reverse: (b)/(a) = %.2f   (c)/(a) = %.2f\n", m["b(reverse)"] / m["a(reverse)"], m["c(reverse)"] / m["a(reverse)"];
  }'
echo "(iperf3 TCP, ${SECONDS_PER_RUN} s per run after a ${WARMUP:-3} s warm-up; CPU%: user+system time of the two tunnel daemons, 100 = one core)"
