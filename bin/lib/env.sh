# Sourced by the bin/ scripts: finds a JDK 25 and the repository root.
# Order: $JAVA_HOME if it is 25+, then the java on PATH, then the Temurin 25 JDK these
# machines ship beside the default JDK 17, then any other JDK 25+ under /usr/lib/jvm
# (bin/lib/java.sh, shared with the launchers of the release archive).
TESSERA_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export TESSERA_HOME

. "$TESSERA_HOME/bin/lib/java.sh"

if ! JAVA_HOME="$(tessera_find_java jdk)"; then
  echo "tessera: no JDK 25 found (set JAVA_HOME, or install Temurin 25 under /usr/lib/jvm)" >&2
  exit 2
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"

# Rebuilds the CLI jar when it or its libraries are missing, or it is older than any source or
# pom. Quiet unless the build fails.
tessera_ensure_cli() {
  local jar="$TESSERA_HOME/cli/target/tessera-cli.jar" stale=""
  if [ ! -f "$jar" ] || [ ! -d "$TESSERA_HOME/cli/target/lib" ]; then
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

# Starts MAIN from the freshly built CLI jar, on the module path of that jar and the libraries
# the build copies beside it (see tessera_exec_java in java.sh for the flags).
tessera_java() {
  local main="$1" target="$TESSERA_HOME/cli/target"
  shift
  tessera_exec_java "$JAVA_HOME" "$target/tessera-cli.jsa" \
    "$target/tessera-cli.jar:$target/lib" "$main" "$@"
}
