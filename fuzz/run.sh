#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh [SECONDS]: builds fuzz_stub with clang in build-fuzz/ (no Wireshark
# needed), seeds fuzz/corpus from fuzz/seeds (plus $NEWMAIL_EXTRA_SEEDS, see
# seed-corpus.sh), fuzzes for SECONDS (default 120) and prints the executions
# reached, libFuzzer's coverage figure and the corpus size. Exits non-zero on
# any finding; the input that triggered it stays in fuzz/findings/.
set -euo pipefail
seconds=${1:-120}
here=$(cd "$(dirname "$0")" && pwd)
build=${NEWMAIL_FUZZ_BUILD:-$(dirname "$here")/build-fuzz}
cc=${CC:-$(command -v clang || command -v clang-14)}

cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_stub >/dev/null
bash "$here/seed-corpus.sh" "$here/corpus"
mkdir -p "$here/findings"
log="$build/fuzz.log"

set +e
"$build/fuzz_stub" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$here/findings/" "$here/corpus" >"$log" 2>&1
rc=$?
set -e

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
[ $rc -eq 0 ] || tail -n 40 "$log"
echo "executions: ${execs:-?}  cov: ${cov:-?}  corpus: $(find "$here/corpus" -type f | wc -l) files"
if [ $rc -ne 0 ]; then
    echo "run.sh: fuzz_stub failed (exit $rc); full log $log; inputs in $here/findings/:" >&2
    ls -l "$here/findings" >&2
    exit 1
fi
echo "run.sh: no findings in $seconds s (log: $log)"
