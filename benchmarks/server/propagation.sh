#!/usr/bin/env bash
# Propagation under load: AGENTS simulated agents (default 10000) long-poll one policy server on
# loopback; prints propagation p50/p90/p99 of a policy change to all of them and the server's heap.
# TESSERA_FLOOD (see dos.sh) runs hostile load meanwhile.
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/../../bin/lib/env.sh"
cd "$TESSERA_HOME"
./mvnw -B -q -ntp -DskipTests -Dmaven.test.skip=true -pl benchmarks -am install >/dev/null
ulimit -n 65536 2>/dev/null || true
exec "$JAVA_HOME/bin/java" -Xmx3g --enable-native-access=ALL-UNNAMED -Dtessera.flood="${TESSERA_FLOOD:-}" \
  -cp "benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*" \
  dev.tessera.bench.server.PropagationLoad "${1:-10000}"
