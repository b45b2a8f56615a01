#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make-seeds.sh: writes the committed seed corpus fuzz/seeds/*.bin for
# fuzz_stub. Deterministic: rerunning it rewrites the same bytes. Each file is
# the selector byte fuzz_stub.c reads (bits 0-1 stub kind, bit 2 big-endian,
# bit 3 bare SOCKADDR) followed by an NDR stub built here field by field.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p seeds

hex="" be=0 # the stub being built, as hex digits; its byte order

pad() { while (((${#hex} / 2) % $1)); do hex+=00; done; }
u16() {
    local v
    pad 2
    v=$(printf %04x "$1")
    if ((be)); then hex+=$v; else hex+=${v:2:2}${v:0:2}; fi
}
u32() {
    local v
    pad 4
    v=$(printf %08x "$1")
    if ((be)); then hex+=$v; else hex+=${v:6:2}${v:4:2}${v:2:2}${v:0:2}; fi
}
raw() { hex+=$1; }
# emit NAME SELECTOR: writes the selector byte and the stub, then starts anew.
emit() {
    printf "$(printf %02x "$2" | sed 's/../\\x&/g')$(sed 's/../\\x&/g' <<<"$hex")" >"seeds/$1.bin"
    hex=""
}

PCXH=00000000a4f1db00ca471067b31f00dd010662da # attributes, then a UUID
SA_IN=0200d438c000020a0000000000000000        # AF_INET 192.0.2.10:54328
SA_IN6=1700177112345678200100db0000000000000000000000010d0c0b0a # AF_INET6 [2001:db8::1]:6001

# req4 NAME BE CONTEXT_HEX SOCKADDR_HEX [ADVISE_BITS]: an opnum 4 request.
req4() {
    be=$2
    raw $PCXH
    u32 0 # iRpc
    u32 $((${#3} / 2)); raw "$3"; u16 $((${#3} / 2))
    u32 "${5:-0xFFFFFFFF}"
    u32 $((${#4} / 2)); raw "$4"; u16 $((${#4} / 2))
    emit "$1" $((be ? 4 : 0))
}

for e in le be; do
    b=$([ $e = be ] && echo 1 || echo 0)
    sel=$((b ? 4 : 0))
    req4 req4-in-ctx8-$e $b 0102030405060708 $SA_IN
    req4 req4-in6-ctx5-$e $b 0102030405 $SA_IN6
    req4 req4-in-ctx7-$e $b 01020304050607 $SA_IN
    req4 req4-in6-ctx1-advise0-$e $b 01 $SA_IN6 0
    be=$b; raw $PCXH; u32 0x00001234; u32 0; emit resp4-ok-$e $((sel | 1))
    be=$b; raw $PCXH; u32 0; u32 0x80040111; emit resp4-err-$e $((sel | 1))
    be=$b; raw $PCXH; u32 0x00001234; emit req5-$e $((sel | 2))
    be=$b; raw $PCXH; u32 0; emit resp5-$e $((sel | 3))
done
hex=$SA_IN; emit sockaddr-in 8
hex=$SA_IN6; emit sockaddr-in6 8
