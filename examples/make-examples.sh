#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Regenerates the example captures examples/*.pcap (or writes them
# into the folder given as the first argument). Deterministic: an unchanged
# examples/make_examples.py gives byte-identical files. Works from any
# current directory; needs only Debian's /usr/bin/python3.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# make_examples.py imports the generators (newmail_gen/) from the source tree.
export PYTHONPATH="$(dirname "$here")" PYTHONHOME=
exec /usr/bin/python3 -s -B "$here/make_examples.py" --out "${1:-$here}"
