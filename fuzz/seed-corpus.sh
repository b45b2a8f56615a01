#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# seed-corpus.sh CORPUS: copies fuzz/seeds/*.bin into the corpus folder CORPUS,
# and, when NEWMAIL_EXTRA_SEEDS names a folder, the raw stubs found there
# (e.g. from the capture generator's --stubs DIR). Those are named
# <scenario>-f<frame>-<req4|resp4|req5|resp5>-<le|be>.bin and carry no selector
# byte: it is prefixed here from the name. Other names are skipped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:?usage: seed-corpus.sh CORPUS}
mkdir -p "$corpus"
cp "$here"/seeds/*.bin "$corpus"/

[ -n "${NEWMAIL_EXTRA_SEEDS:-}" ] || exit 0
added=0
for f in "$NEWMAIL_EXTRA_SEEDS"/*.bin; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    [[ $name =~ -f[0-9]+-(req4|resp4|req5|resp5)-(le|be)\.bin$ ]] || {
        echo "seed-corpus.sh: skipping $name (name not <scenario>-f<frame>-<kind>-<le|be>.bin)" >&2
        continue
    }
    case ${BASH_REMATCH[1]} in req4) sel=0 ;; resp4) sel=1 ;; req5) sel=2 ;; resp5) sel=3 ;; esac
    [ "${BASH_REMATCH[2]}" = be ] && sel=$((sel | 4))
    { printf "\\x$(printf %02x $sel)"; cat "$f"; } >"$corpus/extra-$name"
    added=$((added + 1))
done
echo "seed-corpus.sh: added $added stubs from $NEWMAIL_EXTRA_SEEDS"
