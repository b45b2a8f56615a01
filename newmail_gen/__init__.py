# SPDX-License-Identifier: GPL-2.0-or-later
"""The capture generators the tests, the benchmark, the fuzzers and the
examples share (docs/testing.md, "The generators").

Everything here is deterministic and uses the standard library only
(ntlm_seal needs python3-impacket); every address is a documentation
prefix and nothing is ever sent on a network but loopback inside
tls_capture's own network namespace.

  pcap         frame builders: Ethernet, IPv4/IPv6, UDP, TCP streams,
               DCE/RPC (bind, request, response, fault), pcap writer
  rop          ROP buffers (rgbOut, RopNotify, RPC_HEADER_EXT, LZ77, XOR)
  captures     the test captures of DCE/RPC sessions and NEWMAIL datagrams,
               their manifest, the fuzz seeds and the large load files
               (python3 -m newmail_gen.captures --out DIR)
  mapihttp     MAPI over HTTP captures and their manifest
               (python3 -m newmail_gen.mapihttp --out DIR)
  ntlm_seal    NTLMv2 packet privacy, for the sealed captures
  tls_capture  a live MAPI/HTTP session over TLS with its key log
               (python3 -m newmail_gen.tls_capture --out DIR)

Import it with the source tree on PYTHONPATH: CTest, examples/make-examples.sh,
the bench target and fuzz/*.sh set it.
"""
