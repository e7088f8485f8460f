#!/usr/bin/env bash
# Benchmarks two commits side by side on this machine, in one run: builds the benchmarks module of
# each commit in its own git worktree, then runs the same command against each, alternating
# A, B, A, B, ... so that a noisy host affects both alike.
#
#   benchmarks/compare.sh [--rounds N] REV_A REV_B -- MAIN_CLASS [ARGS...]
#   benchmarks/compare.sh [--rounds N] REV_A REV_B -- jmh [JMH ARGS...]
#
# MAIN_CLASS is any benchmark with a main method (e.g. dev.tessera.bench.enforcer.BuildBench
# 10000 5); its output is printed per round under a label. With `jmh`, the JMH runner runs with the
# given arguments (e.g. `EnforcerBenchmark.established -f 1 -wi 3 -i 5`), and a table of each
# benchmark's score for A and B and the ratio B/A (per round and median) ends the run.
# REV may be any commit-ish, including the working tree's HEAD; uncommitted changes are not seen
# (commit or stash first). JAVA_OPTS adds JVM options (default -Xmx4g). Worktrees live in a
# temporary directory, removed on exit.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
. "$ROOT/bin/lib/env.sh"
cd "$ROOT"

rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="${2:?--rounds needs a number}"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
[ $# -ge 4 ] && [ "$3" = "--" ] || { echo "usage: $0 [--rounds N] REV_A REV_B -- MAIN_CLASS|jmh [ARGS...]" >&2; exit 2; }
rev_a="$1"; rev_b="$2"; shift 3
main="$1"; shift
sha_a="$(git rev-parse --verify --quiet "$rev_a^{commit}")" || { echo "compare: unknown revision $rev_a" >&2; exit 2; }
sha_b="$(git rev-parse --verify --quiet "$rev_b^{commit}")" || { echo "compare: unknown revision $rev_b" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/tessera-compare.XXXXXX")"
cleanup() {
  for side in a b; do
    [ -d "$work/$side" ] && git worktree remove --force "$work/$side" >/dev/null 2>&1
  done
  rm -rf "$work"
}
trap cleanup EXIT

for side in a b; do
  sha="$sha_a"; [ "$side" = b ] && sha="$sha_b"
  git worktree add --detach --quiet "$work/$side" "$sha"
  echo "== building ${side^^} = $(git log -1 --format='%h %s' "$sha" | cut -c1-90)"
  (cd "$work/$side" && ./mvnw -B -q -ntp -DskipTests -Dmaven.test.skip=true -pl benchmarks -am package) \
    > "$work/$side.build.log" 2>&1 || { cat "$work/$side.build.log" >&2; echo "compare: build of $side failed" >&2; exit 1; }
done

classpath() { # the benchmarks jar and its libraries of one side
  local jar; jar="$(ls "$work/$1"/benchmarks/target/benchmarks-*.jar | grep -v -- '-sources\|-tests' | head -n 1)"
  printf '%s:%s/benchmarks/target/lib/*' "$jar" "$work/$1"
}

for r in $(seq 1 "$rounds"); do
  for side in a b; do
    label="${side^^}"
    echo "== round $r, $label"
    if [ "$main" = jmh ]; then
      "$JAVA_HOME/bin/java" ${JAVA_OPTS:--Xmx4g} -cp "$(classpath "$side")" org.openjdk.jmh.Main "$@" \
        -rf json -rff "$work/$side-$r.json" > "$work/$side-$r.log" 2>&1 || { tail -n 30 "$work/$side-$r.log" >&2; exit 1; }
      grep -E '^(Benchmark +\(|[A-Z][A-Za-z0-9_.]+ .* (avgt|thrpt|sample|ss) +[0-9])' "$work/$side-$r.log" || true
    else
      "$JAVA_HOME/bin/java" ${JAVA_OPTS:--Xmx4g} -cp "$(classpath "$side")" "$main" "$@"
    fi
  done
done

if [ "$main" = jmh ]; then
  echo "== scores (A = $rev_a, B = $rev_b; ratio = B / A, median over $rounds rounds)"
  "$JAVA_HOME/bin/java" -cp "$work/b/benchmarks/target/lib/*" "$HERE/lib/JmhCompare.java" "$work" "$rounds"
fi
