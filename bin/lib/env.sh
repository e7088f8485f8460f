# Sourced by the bin/ scripts: finds a JDK 25 and the repository root.
# Order: $JAVA_HOME if it is 25+, then the Temurin 25 JDK these machines ship
# beside the default JDK 17, then any other JDK 25+ under /usr/lib/jvm.
TESSERA_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export TESSERA_HOME

_java_major() { # prints the feature version of the java in $1/bin, or nothing
  [ -x "$1/bin/java" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

_find_jdk25() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major="$(_java_major "$candidate")"
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

if ! JAVA_HOME="$(_find_jdk25)"; then
  echo "tessera: no JDK 25 found (set JAVA_HOME, or install Temurin 25 under /usr/lib/jvm)" >&2
  exit 2
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"

# Rebuilds the CLI jar when it is missing or older than any source or pom.
# Quiet unless the build fails.
tessera_ensure_cli() {
  local jar="$TESSERA_HOME/cli/target/tessera-cli.jar" stale=""
  if [ ! -f "$jar" ]; then
    stale=1
  else
    stale="$(cd "$TESSERA_HOME" && find pom.xml ./*/pom.xml policy-lang/src compiler/src enforcer/src \
      policy-tests/src agent/src cli/src bundle/src server/src -path '*/src/test' -prune -o -newer "$jar" -type f -print -quit 2>/dev/null)"
  fi
  if [ -n "$stale" ]; then
    echo "tessera: building the CLI (first use or sources changed)..." >&2
    local log; log="$(mktemp)"
    if ! (cd "$TESSERA_HOME" && ./mvnw -B -q -ntp -DskipTests -Dmaven.test.skip=true \
          -pl cli -am install >"$log" 2>&1); then
      cat "$log" >&2; rm -f "$log"
      echo "tessera: build failed" >&2
      exit 2
    fi
    # Maven leaves the jar alone when only a dependency changed; mark it fresh so the next
    # start does not rebuild again.
    touch "$jar"
    rm -f "$log" "$TESSERA_HOME/cli/target/tessera-cli.jsa"
  fi
}

# Class-data sharing archive, created on first run and reused: a warm start of a
# small command stays well under half a second. Short commands also stop at the C1
# compiler (no time to profit from C2); long-running ones (serve, the agent, benchmarks)
# keep the full tiered JIT.
tessera_java() {
  local main="$1"; shift
  local jit="-XX:TieredStopAtLevel=1"
  case "${1:-}" in serve|up|compile|matrix|diff|build) jit="" ;; esac
  exec "$JAVA_HOME/bin/java" -XX:+AutoCreateSharedArchive \
    -XX:SharedArchiveFile="$TESSERA_HOME/cli/target/tessera-cli.jsa" \
    $jit -Xshare:auto -XX:-UsePerfData -Xlog:cds=off -Xlog:cds+dynamic=off \
    --enable-native-access=ALL-UNNAMED \
    ${TESSERA_JAVA_OPTS:-} -cp "$TESSERA_HOME/cli/target/tessera-cli.jar" "$main" "$@"
}
