#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of FlatJSON, the frame validator and the diary entry
# parser. Usage: deploy/dev/fuzz.sh flatjson|frame|diary|all [--minutes N] [--keep-going]
#
# Builds with swiftc -sanitize=fuzzer,address into .build-fuzz/ (the package's own build is
# untouched), then runs the target for N minutes (default 10; 0 only builds; `all` runs each in turn).
# Seeds: Tests/Fuzz/<target>/ (read, never grown). The working corpus grows in
# .build-fuzz/corpus/<target>/ and is kept between runs. A crash, hang (over 10 s) or
# out-of-memory input is saved as Tests/Fuzz/<target>/crash-…, timeout-…, oom-…; commit it,
# and the regression test (swift test --filter FuzzCorpus) feeds it through the same checks.
# libFuzzer stops at the first crash; --keep-going (-fork=1) saves each one and runs on.
set -euo pipefail
cd "$(dirname "$0")/../.."

usage() { echo "usage: deploy/dev/fuzz.sh flatjson|frame|diary|all [--minutes N] [--keep-going]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
target=$1; shift
minutes=10
keep_going=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --minutes) minutes=${2:?--minutes needs a number}; shift 2 ;;
        --keep-going) keep_going=1; shift ;;
        *) usage ;;
    esac
done
case $target in flatjson|frame|diary|all) ;; *) usage ;; esac

out=.build-fuzz
mkdir -p "$out"
flags=(-sanitize=fuzzer,address -O -g -parse-as-library -swift-version 6 -I "$out")
if [[ -n ${SWIFT_SDK_FLAGS:-} ]]; then read -r -a extra <<<"$SWIFT_SDK_FLAGS"; flags+=("${extra[@]}"); fi

# One module at a time, in dependency order; rebuilt only when its sources changed.
module() {
    local name=$1 dir=$2
    local stamp="$out/$name.stamp" sources
    sources=$(find "$dir" -name '*.swift' | sort)
    local sum; sum=$( (echo "${flags[*]}"; cat $sources) | sha256sum | cut -c1-16)
    if [[ -f $stamp && $(cat "$stamp") == "$sum" && -f $out/$name.o ]]; then return; fi
    echo "fuzz: compiling $name" >&2
    # shellcheck disable=SC2086
    swiftc "${flags[@]}" -wmo -module-name "$name" -emit-module -emit-module-path "$out/$name.swiftmodule" \
        -c $sources -o "$out/$name.o"
    echo "$sum" >"$stamp"
    rebuilt=1
}

build() {
    local started=$SECONDS rebuilt=0
    module SpasmErrors Shared/Errors
    module SpasmSync Shared/Sync
    module SpasmVocabulary Shared/Vocabulary
    module SpasmSchema Shared/Schema
    module SpasmDiaryRules Shared/Diary/Rules
    module SpasmIngestion Shared/Ingestion
    module SpasmFuzzChecks Tests/Fuzz/Checks
    for t in flatjson frame diary; do
        if [[ $rebuilt == 1 || ! -x $out/fuzz-$t || Tests/Fuzz/Entry/FuzzEntry.swift -nt $out/fuzz-$t ]]; then
            local upper; upper=$(echo "$t" | tr a-z A-Z)
            swiftc "${flags[@]}" -D "FUZZ_$upper" -module-name "Fuzz$upper" Tests/Fuzz/Entry/FuzzEntry.swift \
                "$out"/SpasmErrors.o "$out"/SpasmSync.o "$out"/SpasmVocabulary.o "$out"/SpasmSchema.o "$out"/SpasmDiaryRules.o "$out"/SpasmIngestion.o "$out"/SpasmFuzzChecks.o -o "$out/fuzz-$t" \
                2> >(grep -v "Cannot export local symbol" >&2)
        fi
    done
    echo "fuzz: built in $((SECONDS - started)) s"
}

run() {
    local t=$1
    mkdir -p "$out/corpus/$t" "Tests/Fuzz/$t"
    echo "fuzz: $t for $minutes minute(s); seeds Tests/Fuzz/$t/, corpus $out/corpus/$t/" >&2
    local status=0 more=()
    [[ $keep_going == 1 ]] && more=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    "$out/fuzz-$t" "${more[@]}" "$out/corpus/$t" "Tests/Fuzz/$t" \
        -dict=Tests/Fuzz/json.dict -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -max_total_time=$((minutes * 60)) -print_final_stats=1 \
        -artifact_prefix="Tests/Fuzz/$t/" 2>&1 | tee "$out/$t.log" | grep -E --line-buffered "DONE|pulse|ERROR|Fatal|stat::|Test unit written|SUMMARY|crash: [1-9]|^#[0-9]+: cov" || true
    status=${PIPESTATUS[0]}
    if [[ $status != 0 ]]; then echo "fuzz: $t stopped with status $status; full log $out/$t.log" >&2; return "$status"; fi
}

build
[[ $minutes == 0 ]] && exit 0   # --minutes 0: build only
# A failed check is a Swift trap: let libFuzzer and ASan report it, not Swift's backtracer.
export SWIFT_BACKTRACE=enable=no
if [[ $target == all ]]; then
    failed=0
    for t in flatjson frame diary; do run "$t" || failed=1; done
    exit $failed
fi
run "$target"
