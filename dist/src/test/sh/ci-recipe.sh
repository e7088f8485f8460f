#!/usr/bin/env bash
# Runs a CI recipe of the README exactly as written, in a throwaway policy-only git repository,
# with Tessera installed from a built release archive. The recipe's steps are read from the README
# itself, so the README and what is tested cannot drift apart.
#
#   ci-recipe.sh --readme README.md --archive tessera-V.tar.gz --java-home JAVA25 --work DIR \
#                --recipe github|gitlab|pre-commit --base POLICY [--head POLICY] [--event push|pull_request]
#
# The repository holds one file, policy.hujson: --base is committed on main; with --head, a branch
# "change" commits that version on top, and the job runs on it (a push of it, or a pull request
# into main). What the script stands in for, and nothing more:
#   - the archive's address: the recipe's TESSERA_URL and TESSERA_SHA256 are set to the built
#     archive (file://) and its SHA-256 (the recipe's values are placeholders for your host);
#   - the README's install block (for gitlab and pre-commit) runs under DIR/root instead of /;
#   - GitHub's actions: checkout (a git clone of the origin at the pushed branch, or at the pull
#     request's head, which is what GitHub's merge commit holds while main has not moved;
#     fetch-depth as the step says, and depth 1 leaves no origin/main, as on GitHub), setup-java (JAVA_HOME = --java-home; a "cache: maven"
#     without pom.xml fails as it does on GitHub), action-junit-report (prints the report's counts);
#   - GitLab's image: the Containerfile's PATH over the installed archive, JAVA_HOME = --java-home.
# Every other line of the recipe runs as is, with bash -eo pipefail as on GitHub's runners.
# Each step prints "step: NAME: ok|FAILED (exit N)|skipped"; the script exits 0 when the job
# succeeds, 1 when it fails, 2 when the recipe uses something this script does not stand in for.
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
unsupported() { echo "ci-recipe: unsupported in the recipe: $*" >&2; exit 2; }

readme="" archive="" java_home="" work="" recipe="" base="" head="" event="push"
while [ $# -gt 0 ]; do
  case "$1" in
    --readme) readme="$2"; shift 2 ;;
    --archive) archive="$2"; shift 2 ;;
    --java-home) java_home="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --recipe) recipe="$2"; shift 2 ;;
    --base) base="$2"; shift 2 ;;
    --head) head="$2"; shift 2 ;;
    --event) event="$2"; shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$readme" ] && [ -n "$archive" ] && [ -n "$java_home" ] && [ -n "$work" ] && [ -n "$recipe" ] && [ -n "$base" ] || usage
case "$event" in push | pull_request) ;; *) usage ;; esac
[ "$event" = push ] || [ -n "$head" ] || { echo "ci-recipe: a pull_request needs --head" >&2; exit 2; }
readme="$(readlink -f "$readme")" archive="$(readlink -f "$archive")" base="$(readlink -f "$base")"
[ -z "$head" ] || head="$(readlink -f "$head")"
mkdir -p "$work"
work="$(readlink -f "$work")"
# A runner's PATH: the system's tools and whatever java it has (not the one the build ran on).
base_path="/usr/local/bin:/usr/bin:/bin"

# The fenced block of the README whose first line is $1 (e.g. "# .github/workflows/policy.yml").
block() {
  awk -v first="$1" '
    /^```/ { if (inside) { exit } fence = 1; next }
    fence && $0 == first { inside = 1 }
    fence { fence = 0 }
    inside { print }
  ' "$readme"
}

# --- the policy-only repository and its origin ------------------------------------------------
git_() { git -c user.name=ci -c user.email=ci@example.com -c init.defaultBranch=main -c commit.gpgsign=false "$@"; }
rm -rf "$work/origin.git" "$work/author"
git_ init -q --bare "$work/origin.git"
git_ init -q "$work/author"
cp "$base" "$work/author/policy.hujson"
git_ -C "$work/author" add policy.hujson
git_ -C "$work/author" commit -q -m "policy"
git_ -C "$work/author" push -q "$work/origin.git" HEAD:main
ref=main
if [ -n "$head" ]; then
  git_ -C "$work/author" checkout -q -b change
  cp "$head" "$work/author/policy.hujson"
  git_ -C "$work/author" commit -q -am "change the policy"
  git_ -C "$work/author" push -q "$work/origin.git" HEAD:change
  ref=change
fi

# --- GitHub Actions ----------------------------------------------------------------------------
# The workflow's steps as files: $work/steps/N/{uses,name,if,run,with.KEY}. Only the shape the
# README's recipe has is read: steps at six spaces, their keys at eight, with-keys at ten, and
# "run: |" blocks; anything else stops the script.
parse_github() {
  rm -rf "$work/steps"
  mkdir -p "$work/steps"
  block "# .github/workflows/policy.yml" | awk -v dir="$work/steps" '
    function file(k) { return dir "/" n "/" k }
    function put(k, v) { printf "%s\n", v > file(k); close(file(k)) }
    function strip(v) { sub(/[ \t]+#.*$/, "", v); gsub(/^"|"$/, "", v); return v }
    /^env:$/ { section = "env"; next }
    /^jobs:$/ { section = "jobs"; next }
    section == "env" && /^  [A-Z0-9_]+: / { k = $1; sub(/:$/, "", k); v = $0; sub(/^  [A-Z0-9_]+: /, "", v); print k "=" strip(v) > dir "/env"; next }
    /^    steps:$/ { steps = 1; next }
    !steps { next }
    /^      - / { n++; system("mkdir -p " dir "/" n); line = substr($0, 9); inrun = 0; inwith = 0 }
    /^        [a-z-]+:/ { line = substr($0, 9); inrun = 0; inwith = 0 }
    inrun && /^          / { print substr($0, 11) >> file("run"); close(file("run")); next }
    inwith && /^          [a-z_-]+: / { k = substr($0, 11); sub(/:.*/, "", k); v = $0; sub(/^ *[a-z_-]+: /, "", v); put("with." k, strip(v)); next }
    line != "" {
      k = line; sub(/:.*/, "", k); v = line; sub(/^[a-z-]+: ?/, "", v); line = ""
      if (k == "run" && v == "|") { inrun = 1; printf "" > file("run"); close(file("run")); next }
      if (k == "with" && v == "") { inwith = 1; next }
      if (k == "uses" || k == "name" || k == "if" || k == "run") { put(k, strip(v)); next }
      print "unsupported key: " k > "/dev/stderr"; exit 3
    }
    /^ *$/ { next }
    { print "unsupported line: " $0 > "/dev/stderr"; exit 3 }
  ' || unsupported "a line of the GitHub workflow (see above)"
  [ -f "$work/steps/1/uses" ] || [ -f "$work/steps/1/run" ] || unsupported "no steps found"
}

github_checkout() { # $1: fetch-depth
  rm -rf "$work/workspace"
  if [ "$1" = 0 ]; then
    git clone -q "file://$work/origin.git" "$work/workspace"
    git -C "$work/workspace" checkout -q "$ref"
  else
    git clone -q --depth "$1" --branch "$ref" "file://$work/origin.git" "$work/workspace"
  fi
}

run_github() {
  parse_github
  local runner="$work/runner" sha status=0 failed=0 i d name cond uses rc
  rm -rf "$runner"
  mkdir -p "$runner/temp"
  : >"$runner/path" ; : >"$runner/env" ; : >"$runner/summary"
  sha="$(sha256sum "$archive" | cut -d ' ' -f 1)"
  local -a env=(
    "PATH=$base_path" "HOME=$runner/home" "LANG=C.UTF-8" "CI=true" "GITHUB_ACTIONS=true"
    "GITHUB_EVENT_NAME=$event" "GITHUB_REF_NAME=$ref" "RUNNER_TEMP=$runner/temp"
    "GITHUB_PATH=$runner/path" "GITHUB_ENV=$runner/env" "GITHUB_STEP_SUMMARY=$runner/summary"
    "GITHUB_WORKSPACE=$work/workspace"
  )
  if [ "$event" = pull_request ]; then
    env+=("GITHUB_BASE_REF=main" "GITHUB_HEAD_REF=$ref")
  fi
  if [ -f "$work/steps/env" ]; then
    while IFS= read -r kv; do
      case "${kv%%=*}" in
        TESSERA_URL) env+=("TESSERA_URL=file://$archive") ;;
        TESSERA_SHA256) env+=("TESSERA_SHA256=$sha") ;;
        *) env+=("$kv") ;;
      esac
    done <"$work/steps/env"
  fi
  mkdir -p "$runner/home"
  for d in $(ls "$work/steps" | grep -E '^[0-9]+$' | sort -n); do
    d="$work/steps/$d"
    name="$(cat "$d/name" 2>/dev/null || cat "$d/uses" 2>/dev/null || echo "run")"
    cond="$(cat "$d/if" 2>/dev/null || echo "success()")"
    case "$cond" in
      "success()") [ "$failed" = 0 ] || { echo "step: $name: skipped"; continue; } ;;
      "always()") ;;
      "github.event_name == 'pull_request'") { [ "$failed" = 0 ] && [ "$event" = pull_request ]; } || { echo "step: $name: skipped"; continue; } ;;
      "github.event_name == 'push'") { [ "$failed" = 0 ] && [ "$event" = push ]; } || { echo "step: $name: skipped"; continue; } ;;
      *) unsupported "if: $cond" ;;
    esac
    # What the earlier steps added to PATH and to the environment.
    local path_now="$base_path"
    while IFS= read -r p; do [ -z "$p" ] || path_now="$p:$path_now"; done <"$runner/path"
    local -a step_env=("${env[@]}")
    step_env[0]="PATH=$path_now"
    while IFS= read -r kv; do [ -z "$kv" ] || step_env+=("$kv"); done <"$runner/env"
    rc=0
    if [ -f "$d/uses" ]; then
      uses="$(cat "$d/uses")"
      case "$uses" in
        actions/checkout@*)
          github_checkout "$(cat "$d/with.fetch-depth" 2>/dev/null || echo 1)" || rc=$? ;;
        actions/setup-java@*)
          [ "$(cat "$d/with.distribution" 2>/dev/null)" = temurin ] || unsupported "setup-java distribution"
          [ "$(cat "$d/with.java-version" 2>/dev/null)" = 25 ] || unsupported "setup-java java-version"
          if [ -f "$d/with.cache" ] && [ "$(cat "$d/with.cache")" = maven ] && [ ! -f "$work/workspace/pom.xml" ]; then
            echo "Error: No file in $work/workspace matched to [**/pom.xml], make sure you have checked out the target repository" >&2
            rc=1
          else
            echo "$java_home/bin" >>"$runner/path"
            echo "JAVA_HOME=$java_home" >>"$runner/env"
          fi ;;
        mikepenz/action-junit-report@*)
          local report="$work/workspace/$(cat "$d/with.report_paths")"
          if [ -f "$report" ]; then
            echo "report: $report: $(grep -o '<testsuites [^>]*>' "$report" | grep -o '\(tests\|failures\|errors\)="[0-9]*"' | tr '\n' ' ')"
          else
            echo "report: no test report found at $report"
          fi ;;
        *) unsupported "uses: $uses" ;;
      esac
    else
      (cd "$work/workspace" && env -i "${step_env[@]}" bash --noprofile --norc -eo pipefail "$d/run") || rc=$?
    fi
    if [ "$rc" = 0 ]; then
      echo "step: $name: ok"
    else
      echo "step: $name: FAILED (exit $rc)"
      failed=1
    fi
  done
  [ "$failed" = 0 ] || status=1
  return "$status"
}

# --- the README's install block, under $work/root instead of / ---------------------------------
install_from_readme() {
  local root="$work/root" script
  rm -rf "$root"
  mkdir -p "$root/usr/local/bin" "$root/downloads"
  cp "$archive" "$root/downloads/"
  script="$(block "# install (as root): unpack under /opt/tessera and put both commands on PATH" |
    sed -e "s#/opt/tessera#$root/opt/tessera#g" -e "s#/usr/local/bin#$root/usr/local/bin#g")"
  [ -n "$script" ] || unsupported "no install block in the README"
  (cd "$root/downloads" && env -i "PATH=$root/usr/local/bin:$base_path" "JAVA_HOME=$java_home" "HOME=$work/home" \
    bash --noprofile --norc -eo pipefail -c "$script") || { echo "step: install: FAILED"; return 1; }
  echo "step: install: ok"
}

# --- GitLab CI: the job's script lines in the image the Containerfile describes ----------------
run_gitlab() {
  install_from_readme
  local lines image_path
  rm -rf "$work/workspace"
  git clone -q "file://$work/origin.git" "$work/workspace"
  git -C "$work/workspace" checkout -q "$ref"
  # The image's PATH, as its Containerfile sets it (ENV PATH=/opt/tessera/bin:$PATH).
  image_path="$(sed -n 's#^ENV PATH=\(/opt/tessera/bin\):\$PATH.*#\1#p' "$work/root/opt/tessera/Containerfile")"
  [ "$image_path" = /opt/tessera/bin ] || unsupported "the Containerfile's PATH"
  lines="$(block "# .gitlab-ci.yml" | awk '
    /^  script:$/ { s = 1; next }
    s && /^    - / { print substr($0, 7); next }
    s && /^  [a-z]/ { s = 0 }
  ')"
  [ -n "$lines" ] || unsupported "no script in the GitLab job"
  local rc=0
  (cd "$work/workspace" && env -i "PATH=$work/root$image_path:$base_path" "JAVA_HOME=$java_home" "HOME=$work/home" LANG=en_US.UTF-8 \
    CI=true GITLAB_CI=true bash --noprofile --norc -eo pipefail -c "$lines") || rc=$?
  if [ "$rc" = 0 ]; then echo "step: script: ok"; else echo "step: script: FAILED (exit $rc)"; fi
  local report
  report="$(block "# .gitlab-ci.yml" | sed -n 's/^      junit: //p')"
  if [ -f "$work/workspace/$report" ]; then
    echo "report: $work/workspace/$report: $(grep -o '<testsuites [^>]*>' "$work/workspace/$report" | grep -o '\(tests\|failures\|errors\)="[0-9]*"' | tr '\n' ' ')"
  else
    echo "report: no test report found at $work/workspace/$report"
  fi
  return $((rc == 0 ? 0 : 1))
}

# --- pre-commit: the hook's entry, as language: system runs it, with the install on PATH -------
run_precommit() {
  install_from_readme
  local entry rc=0
  rm -rf "$work/workspace"
  git clone -q "file://$work/origin.git" "$work/workspace"
  git -C "$work/workspace" checkout -q "$ref"
  block "# .pre-commit-config.yaml" | grep -q '^        language: system$' || unsupported "a hook language other than system"
  block "# .pre-commit-config.yaml" | grep -q '^        pass_filenames: false$' || unsupported "a hook that takes file names"
  entry="$(block "# .pre-commit-config.yaml" | sed -n 's/^        entry: //p')"
  [ -n "$entry" ] || unsupported "no hook entry"
  (cd "$work/workspace" && env -i "PATH=$work/root/usr/local/bin:$base_path" "JAVA_HOME=$java_home" "HOME=$work/home" \
    LANG=C.UTF-8 bash --noprofile --norc -eo pipefail -c "$entry") || rc=$?
  if [ "$rc" = 0 ]; then echo "step: hook: ok"; else echo "step: hook: FAILED (exit $rc)"; fi
  return $((rc == 0 ? 0 : 1))
}

mkdir -p "$work/home"
case "$recipe" in
  github) run_github ;;
  gitlab) run_gitlab ;;
  pre-commit) run_precommit ;;
  *) usage ;;
esac
