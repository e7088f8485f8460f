#!/usr/bin/env bash
# Long fuzzing run of a policy reader with Jazzer's command-line driver (no time limit other
# than SECONDS; the JUnit targets stop after their @FuzzTest maxDuration).
#
#   policy-lang/fuzz.sh tpol|hujson [SECONDS=3600] [CORPUS_DIR]
#
# Builds the `fuzz` profile (classes for release 23, which Jazzer 0.24 can instrument, in
# policy-lang/target/fuzz), then fuzzes ReaderFuzzTest$LongFuzz.<target> with the seeds of the
# JUnit target plus CORPUS_DIR (kept between runs). A finding is written as crash-<hash> in the
# current directory: copy it into
# policy-lang/src/test/resources/dev/tessera/policy/syntax/tpol/ReaderFuzzTestInputs/<target>/
# so every `mvn test` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/lib/env.sh
target="${1:-tpol}"
secs="${2:-3600}"
case "$target" in tpol|hujson) ;; *) echo "usage: $0 tpol|hujson [SECONDS] [CORPUS_DIR]" >&2; exit 2 ;; esac
out="$PWD/policy-lang/target/fuzz"
corpus="${3:-$out/corpus-$target}"
mkdir -p "$corpus"
./mvnw -q -B -ntp -pl policy-lang -Pfuzz test-compile dependency:build-classpath \
  -Dmdep.outputFile="$out/cp.txt" -Dmdep.includeScope=test
seeds="policy-lang/src/test/resources/dev/tessera/policy/syntax/tpol/ReaderFuzzTestInputs/$target"
exec java -cp "$out/test-classes:$out/classes:$(cat "$out/cp.txt")" \
  com.code_intelligence.jazzer.Jazzer \
  --target_class='dev.tessera.policy.syntax.tpol.ReaderFuzzTest$LongFuzz' \
  --target_method="$target" \
  --instrumentation_includes='dev.tessera.**:org.antlr.**:com.fasterxml.**' \
  -max_total_time="$secs" -rss_limit_mb=4096 "$corpus" "$seeds"
