#!/usr/bin/env bash
# Control-plane load: NODES simulated nodes (default 10000) enroll through policyc serve and
# long-poll; prints enrollments/s (failed ones counted by status and error), the time from a
# policy edit, a node join and a node delete to the last affected agent (p50/p99), each server's
# heap, and the load average alongside.
# Usage: control.sh [NODES] [sqlite|postgresql|all] [SERVERS]; "all" runs sqlite x1, postgresql x1
# and postgresql x2. PostgreSQL runs on a throwaway initdb cluster (Debian package postgresql);
# DB_QUERY=K=V[&K=V] adds connection settings to its URL (DB_QUERY=reWriteBatchedInserts=true).
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/../../bin/lib/env.sh"
cd "$TESSERA_HOME"
./mvnw -B -q -ntp -DskipTests -Dmaven.test.skip=true -pl benchmarks -am install >/dev/null
ulimit -n 65536 2>/dev/null || true
nodes="${1:-10000}"
run() {
  "$JAVA_HOME/bin/java" -Xmx3g --enable-native-access=ALL-UNNAMED \
    -cp "benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*" \
    dev.tessera.bench.server.ControlLoad "$nodes" "$1" "$2"
}
if [ "${2:-all}" = all ]; then
  run sqlite 1
  run postgresql 1
  run postgresql 2
else
  run "$2" "${3:-1}"
fi
