#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh [SECONDS]: builds the libFuzzer targets with clang in build-fuzz/ (no
# Wireshark needed) and fuzzes each for its share of SECONDS (default 120,
# split evenly), all six the same way: fuzz_stub (newmail-parse.c),
# fuzz_rop (newmail-rop.c), fuzz_mapihttp (newmail-mapihttp-parse.c),
# fuzz_props (newmail-props.c), fuzz_rop_request (newmail-rop-request.c)
# and fuzz_rpch (newmail-rpch-parse.c),
# each on build-fuzz/corpus-<target>, seeded by seed-corpus.sh from
# fuzz/seeds-<target> (fuzz_stub also from the stubs of the generated
# captures, or $NEWMAIL_EXTRA_SEEDS). NEWMAIL_FUZZ_TARGETS="fuzz_rop" picks
# targets; NEWMAIL_FUZZ_BUILD names another build folder, and
# NEWMAIL_FUZZ_PREBUILT=1 uses the targets already built there (the fuzz-run
# target of fuzz/CMakeLists.txt). Prints, per target, the executions reached,
# libFuzzer's coverage figure and the corpus size. Exits non-zero on any
# finding; the input that triggered it stays in fuzz/findings/<target>-*.
set -euo pipefail
seconds=${1:-120}
here=$(cd "$(dirname "$0")" && pwd)
build=${NEWMAIL_FUZZ_BUILD:-$(dirname "$here")/build-fuzz}
cc=${CC:-$(command -v clang || command -v clang-14)}
read -r -a targets <<<"${NEWMAIL_FUZZ_TARGETS:-fuzz_stub fuzz_rop fuzz_mapihttp fuzz_props fuzz_rop_request fuzz_rpch}"
share=$((seconds / ${#targets[@]}))
((share > 0)) || share=1

if [ -z "${NEWMAIL_FUZZ_PREBUILT:-}" ]; then
    cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" --target "${targets[@]}" >/dev/null
fi
mkdir -p "$here/findings"

# Every stub the generated captures hold, each kind in both byte orders.
if [ -z "${NEWMAIL_EXTRA_SEEDS:-}" ] && [ -x /usr/bin/python3 ]; then
    rm -rf "$build/stubs"
    PYTHONPATH=$(dirname "$here") PYTHONHOME= /usr/bin/python3 -s -B \
        -m newmail_gen.captures --stubs "$build/stubs" >/dev/null
    export NEWMAIL_EXTRA_SEEDS=$build/stubs
fi

failed=()
for target in "${targets[@]}"; do
    corpus=$build/corpus-${target#fuzz_}
    bash "$here/seed-corpus.sh" "${target#fuzz_}" "$corpus"
    log="$build/$target.log"

    set +e
    "$build/$target" -max_total_time="$share" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$here/findings/$target-" "$corpus" >"$log" 2>&1
    rc=$?
    set -e

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    [ $rc -eq 0 ] || tail -n 40 "$log"
    echo "$target: executions: ${execs:-?}  cov: ${cov:-?}  corpus: $(find "$corpus" -type f | wc -l) files  ($share s)"
    if [ $rc -ne 0 ]; then
        echo "run.sh: $target failed (exit $rc); full log $log" >&2
        failed+=("$target")
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "run.sh: findings from ${failed[*]}; inputs in $here/findings/:" >&2
    ls -l "$here/findings" >&2
    exit 1
fi
echo "run.sh: no findings in $seconds s (logs: $build/fuzz_*.log)"
