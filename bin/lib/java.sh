# Sourced by Tessera's launchers, in the source tree (through bin/lib/env.sh) and in the release
# archive (as lib/tessera/java.sh): finds a Java 25+ runtime and starts a class with the flags
# every launcher uses. Needs bash.

# The feature version of the Java whose home is $1 (25 for 25.0.3), or nothing. Read from the
# home's release file, which every JDK and JRE image has (a jlink image too); asking java itself
# is the fallback, and costs a JVM start.
tessera_java_major() {
  local home="$1" v=""
  [ -x "$home/bin/java" ] || return 0
  if [ -r "$home/release" ]; then
    local line
    while IFS= read -r line; do
      if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then
        v="${BASH_REMATCH[1]}"
        break
      fi
    done <"$home/release"
  fi
  if [ -z "$v" ]; then
    v="$("$home/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1)"
  fi
  printf '%s\n' "$v"
}

# Prints the home of the first Java 25+ found, in this order: $JAVA_HOME, the java on PATH, the
# Temurin 25 these machines ship beside an older default, any other under /usr/lib/jvm. With
# "jdk" as $1, only homes with javac count (the source tree builds itself); else a JRE will do.
tessera_find_java() {
  local need="${1:-jre}" candidate on_path=""
  if _tessera_java_ok "${JAVA_HOME:-}" "$need"; then
    printf '%s\n' "$JAVA_HOME"
    return 0
  fi
  if command -v java >/dev/null 2>&1; then
    on_path="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  fi
  for candidate in "$on_path" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/*; do
    if _tessera_java_ok "$candidate" "$need"; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

# True when $1 is the home of a Java 25+ (with javac when $2 is "jdk").
_tessera_java_ok() {
  local major
  [ -n "$1" ] && [ -x "$1/bin/java" ] || return 1
  if [ "$2" = jdk ] && [ ! -x "$1/bin/javac" ]; then
    return 1
  fi
  major="$(tessera_java_major "$1")"
  [ -n "$major" ] && [ "$major" -ge 25 ]
}

# The modules that call restricted methods, and only they, get native access: the agent (TUN
# through FFM), the SQLite driver (System.load of its JNI library) and io.netty.common (loads the
# library of Netty's epoll transport).
TESSERA_NATIVE_MODULES=dev.tessera.agent,org.xerial.sqlitejdbc,io.netty.common

# tessera_exec_java JAVA_HOME JSA MODULE_PATH MAIN ARGS...: replaces the shell with the JVM,
# running MAIN (a class of the module dev.tessera.cli) on MODULE_PATH (the CLI jar and the
# directory of its libraries), so every module's exports and opens hold at run time.
# Every jar of the module path is resolved (ALL-MODULE-PATH: JGit's and json-schema-validator's
# optional libraries, Netty's native epoll jar and Flyway's database plugins are required by no
# module), and so is the Java runtime's default set of modules (ALL-DEFAULT, what a class path
# sees: automatic modules such as Prometheus's exporter, which uses jdk.httpserver, cannot say
# what they need).
# JSA is a class-data sharing archive, created on first run and reused (a warm start of a small
# command stays well under half a second); empty for none. Short commands also stop at the C1
# compiler (no time to profit from C2); long-running ones (serve, the agent, big compiles) keep
# the full tiered JIT. TESSERA_JAVA_OPTS adds JVM options.
tessera_exec_java() {
  local java_home="$1" jsa="$2" module_path="$3" main="$4"
  shift 4
  local opts=(-Xshare:auto -XX:-UsePerfData -Xlog:cds=off -Xlog:cds+dynamic=off
    "--enable-native-access=$TESSERA_NATIVE_MODULES" --add-modules=ALL-DEFAULT,ALL-MODULE-PATH)
  if [ -n "$jsa" ]; then
    opts+=(-XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=$jsa")
  fi
  case "${1:-}" in
    serve | up | compile | matrix | diff | build) ;;
    *) opts+=(-XX:TieredStopAtLevel=1) ;;
  esac
  # TESSERA_JAVA_OPTS is a list of options: split on purpose.
  # shellcheck disable=SC2086
  exec "$java_home/bin/java" "${opts[@]}" ${TESSERA_JAVA_OPTS:-} -p "$module_path" \
    -m "dev.tessera.cli/$main" "$@"
}

# tessera_launch MAIN ARGS...: the installed layout ($TESSERA_HOME/lib/tessera/tessera-cli.jar and
# its libraries in lib/tessera/lib/: the module path), with a JRE. The class-data archive goes to
# $TESSERA_CACHE_DIR, else the user's cache directory, one per installation and Java; without a
# writable one, the JVM starts without it.
tessera_launch() {
  local main="$1" java_home cache jsa=""
  shift
  if ! java_home="$(tessera_find_java jre)"; then
    echo "tessera: no Java 25 or newer found: set JAVA_HOME, put Java 25 on PATH, or install a Java 25 runtime (for example Temurin 25 JRE)" >&2
    exit 2
  fi
  cache="${TESSERA_CACHE_DIR:-}"
  if [ -z "$cache" ] && [ -n "${XDG_CACHE_HOME:-}${HOME:-}" ]; then
    cache="${XDG_CACHE_HOME:-$HOME/.cache}/tessera"
  fi
  if [ -n "$cache" ] && mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
    # Named after the installation, the Java and the CLI jar's time and size: the JVM never remakes
    # an archive whose jars changed (it starts without it), so an upgraded installation gets a new
    # one.
    local stamp
    stamp="$(stat -c '%Y %s' "$TESSERA_HOME/lib/tessera/tessera-cli.jar" 2>/dev/null || true)"
    jsa="$cache/cds-$(printf '%s' "$TESSERA_HOME $java_home $stamp" | cksum | cut -d ' ' -f 1).jsa"
  fi
  tessera_exec_java "$java_home" "$jsa" \
    "$TESSERA_HOME/lib/tessera/tessera-cli.jar:$TESSERA_HOME/lib/tessera/lib" "$main" "$@"
}
