#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# seed-corpus.sh TARGET CORPUS: seeds the libFuzzer corpus folder CORPUS of
# fuzz_TARGET (stub, rop or mapihttp) with the committed seeds
# fuzz/seeds-TARGET/*.bin (written by fuzz/make_seeds.py), the same way for
# the three targets. For stub, when NEWMAIL_EXTRA_SEEDS names a folder, the
# raw stubs found there (python3 -m newmail_gen.captures --stubs DIR) are
# added too. Those are named <scenario>-f<frame>-[a]<req|resp><opnum>-<le|be>.bin
# ("a" for AsyncEMSMDB) and carry no selector byte: it is prefixed here from
# the name, as fuzz_stub.c reads it (the stub kind's low two bits in bits
# 0-1, its high two in bits 4-5, big-endian in bit 2). Stubs the plugin does
# not read (the EcDoConnect(Ex) requests) and other names are skipped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${1:?usage: seed-corpus.sh TARGET CORPUS}
corpus=${2:?usage: seed-corpus.sh TARGET CORPUS}
[ -d "$here/seeds-$target" ] || { echo "seed-corpus.sh: no $here/seeds-$target" >&2; exit 2; }
mkdir -p "$corpus"
cp "$here/seeds-$target"/*.bin "$corpus"/

[ "$target" = stub ] && [ -n "${NEWMAIL_EXTRA_SEEDS:-}" ] || exit 0
added=0
for f in "$NEWMAIL_EXTRA_SEEDS"/*.bin; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    [[ $name =~ -f[0-9]+-(a?(req|resp)[0-9]+)-(le|be)\.bin$ ]] || {
        echo "seed-corpus.sh: skipping $name (name not <scenario>-f<frame>-<kind>-<le|be>.bin)" >&2
        continue
    }
    # newmail_stub_kind_t, in newmail-parse.h's order
    case ${BASH_REMATCH[1]} in
    req4) kind=0 ;; resp4) kind=1 ;; req5) kind=2 ;; resp5) kind=3 ;;
    req1 | req14) kind=4 ;;
    resp0 | resp10) kind=5 ;;
    resp1) kind=6 ;; req11) kind=7 ;; resp11) kind=8 ;; resp14) kind=9 ;;
    areq0) kind=10 ;; aresp0) kind=11 ;; req2) kind=12 ;; resp2) kind=13 ;;
    *) continue ;;
    esac
    sel=$(((kind & 3) | (kind >> 2) << 4))
    [ "${BASH_REMATCH[3]}" = be ] && sel=$((sel | 4))
    { printf "\\x$(printf %02x $sel)"; cat "$f"; } >"$corpus/extra-$name"
    added=$((added + 1))
done
echo "seed-corpus.sh: added $added stubs from $NEWMAIL_EXTRA_SEEDS"
