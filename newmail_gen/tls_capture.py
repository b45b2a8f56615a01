#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Capture a MAPI over HTTP session over real TLS, with its key log.

Usage:
  python3 -m newmail_gen.tls_capture --out DIR
      DIR/mapihttp_tls.pcapng, DIR/mapihttp_tls.keys (SSLKEYLOGFILE
      format) and DIR/manifest.json
  python3 -m newmail_gen.tls_capture --example DIR
      the same, as DIR/mapihttp-tls.pcapng and DIR/mapihttp-tls.keys
      (examples/), no manifest
(PYTHONPATH: the source tree, which holds the package newmail_gen/.)

How: the script re-runs itself in a new network namespace (``unshare -n``
as root, ``unshare -rn`` otherwise; not ``ip netns add``, so it also works
in a chroot with /proc mounted). There it brings lo up, gives lo the
documentation addresses of the client (192.0.2.10) and the server
(198.51.100.20), makes a throwaway certificate for mail.example.com with
``openssl req`` in a temporary folder, starts ``dumpcap -i lo``, and plays
a MAPI/HTTP session (newmail_gen/mapihttp.py's builders) between a Python
``ssl`` server and client: Connect and Execute on one TLS 1.3 connection, a
NotificationWait answered with EventPending after a keep-alive on a second
connection (TLS 1.2), the Execute whose response carries RopNotify NewMail
and RopPending, Disconnect. The client's SSLContext.keylog_filename writes
the key log. Nothing leaves the namespace, which has no other interface.

A missing tool (unshare, dumpcap, openssl, ip) is an error with a message
and exit status 1 (scripts/deps.sh installs them all). Where Linux refuses
the namespace itself (a non-root user where unprivileged user namespaces
are off, e.g. in a chroot: ``unshare: Operation not permitted``), nothing
can be captured: with --out the script writes DIR/unavailable.txt with the
reason, says so and exits with status 77, which CTest reports as a skip;
the tests that read the capture skip with that reason (docs/testing.md,
"What is skipped where"). The frame numbers of a live capture are not
known in advance, so the manifest describes the messages by X-RequestId,
and the tests find them that way.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from newmail_gen import mapihttp as mg
from newmail_gen import rop as rb

TLS_PORT = 443
INSIDE = "NEWMAIL_TLS_CAPTURE_INSIDE_NETNS"
NAME = "mapihttp_tls"


SKIPPED = 77  # CTest's SKIP_RETURN_CODE for capture_tls (test/CMakeLists.txt)
UNAVAILABLE = "unavailable.txt"


class CaptureError(Exception):
    """Something this capture needs is missing: say what, exit 1."""


class NamespaceRefused(Exception):
    """Linux refuses this user a network namespace: nothing to capture, exit 77."""


def build_script():
    """The session played over TLS (deterministic: request ids, bodies)."""
    script = mg.Script(NAME, "MAPI/HTTP over real TLS on port 443: Connect, Execute "
                       "(RopRegisterNotification) on a TLS 1.3 connection; a NotificationWait "
                       "with a keep-alive, answered with EventPending, on a TLS 1.2 "
                       "connection; the fetching Execute (RopNotify NewMail, RopPending); "
                       "Disconnect.", port=TLS_PORT)
    session, main = mg._connected(script)
    waits = mg.HttpConnection(script)
    parked = session.notification_wait(waits)
    session.keepalive(waits, parked, 0.4)
    session.notification_wait_done(waits, parked, True, wait=0.3)
    script.wait(0.2)
    session.execute(main, rb.single([
        rb.new_mail(0x0001A2B3, mg.INBOX, 0x4F00000000000C01, "IPM.Note"),
        rb.rop_pending(12)]))
    script.wait(0.1)
    session.disconnect(main)
    return script


def model(script):
    """The manifest entry: messages by request id, no frame numbers."""
    messages = []
    for message in script.messages:
        public = mg._public(message)
        public.pop("signal", None)
        messages.append(mg._jsonable(public))
    # Signals and fetches by request id, by the rules of mapihttp_gen.resolve;
    # a message is dissected at the write that completes it, so write order
    # is frame order.
    completed = sorted((m for m in script.messages if m["kind"] == "mapihttp"),
                       key=lambda m: m["write"])
    signals, pending = [], []
    for message in completed:
        if message["direction"] == "response" and message.get("event_pending"):
            pending.append(message["request_id"])
            signals.append({"request_id": message["request_id"], "fetch_request_id": None})
        elif message["direction"] == "request" and message["request_type"] == mg.EXECUTE:
            for signal_id in pending:
                for entry in signals:
                    if entry["request_id"] == signal_id:
                        entry["fetch_request_id"] = message["request_id"]
            message_entry = next(m for m in messages if m["request_id"] == message["request_id"]
                                 and m["direction"] == "request")
            message_entry["signal_request_ids"] = list(pending)
            pending = []
    return {"file": NAME + ".pcapng", "keylog": NAME + ".keys", "description":
            script.description, "server": mg.SERVER, "client": mg.CLIENT, "port": TLS_PORT,
            "connect_request_id": script.sessions["outlook"]["request_id"],
            "tls_versions": ["TLSv1.3", "TLSv1.2"], "messages": messages, "signals": signals}


# --------------------------------------------------------------------------
# Outside: check the tools, enter a namespace
# --------------------------------------------------------------------------

def _need(tool):
    path = shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not path:
        raise CaptureError("%s is not installed (Debian: %s); this capture needs it"
                           % (tool, {"dumpcap": "wireshark-common", "ip": "iproute2",
                                     "unshare": "util-linux", "openssl": "openssl"}[tool]))
    return path


def run_in_namespace(argv):
    for tool in ("unshare", "dumpcap", "openssl", "ip"):
        _need(tool)
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]
    # Ask first, with a command that cannot fail by itself: a refusal here is
    # the system's policy, not a broken capture.
    probe = subprocess.run(unshare + ["true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        raise NamespaceRefused("`%s true` failed (exit status %d): %s"
                               % (" ".join(unshare), probe.returncode,
                                  probe.stderr.strip() or "no message"))
    # The same module again, inside: found through the package's folder.
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, **{INSIDE: "1", "PYTHONPATH": package_root, "PYTHONHOME": ""})
    command = unshare + [sys.executable, "-s", "-B", "-m", __spec__.name] + argv
    done = subprocess.run(command, env=env, check=False)
    if done.returncode != 0:
        raise CaptureError("the capture in a new network namespace failed (exit status %d): "
                           "%s" % (done.returncode, " ".join(command)))


# --------------------------------------------------------------------------
# Inside the namespace
# --------------------------------------------------------------------------

def _run(argv):
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CaptureError("%s failed: %s" % (" ".join(argv), done.stderr.strip()))
    return done.stdout


def setup_loopback():
    ip = _need("ip")
    _run([ip, "link", "set", "lo", "up"])
    for address in (mg.CLIENT, mg.SERVER):
        _run([ip, "address", "add", address + "/32", "dev", "lo"])


def make_certificate(folder):
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    _run([_need("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt",
          "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=" + mg.HOST,
          "-addext", "subjectAltName=DNS:" + mg.HOST, "-keyout", key, "-out", cert])
    return cert, key


def start_dumpcap(pcapng, capture_filter="tcp port %d" % TLS_PORT):
    """Start dumpcap on lo and return once it captures (it says "File:")."""
    process = subprocess.Popen([_need("dumpcap"), "-i", "lo", "-f", capture_filter,
                                "-w", pcapng], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    said = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        said.append(line.rstrip())
        if line.startswith("File:"):
            threading.Thread(target=process.stderr.read, daemon=True).start()
            time.sleep(0.3)     # the capture socket is up; let it settle
            return process
    process.kill()
    raise CaptureError("dumpcap did not start capturing on lo: %s" % " / ".join(said))


def stop_dumpcap(process):
    time.sleep(0.5)             # the last segments reach the capture
    process.send_signal(signal.SIGTERM)
    if process.wait(timeout=30) != 0:
        raise CaptureError("dumpcap exited with status %d" % process.returncode)


def _read_exactly(sock, count):
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise CaptureError("the TLS peer closed early")
        data += chunk
    return bytes(data)


class TlsPlayer:
    """Plays a mapihttp_gen.Script over TLS sockets in real time: each write
    is sent by its side and read back, in full, by the other."""

    def __init__(self, script, cert, key, keylog):
        self.script = script
        self.server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_context.load_cert_chain(cert, key)
        self.client_contexts = []
        for maximum in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.load_verify_locations(cert)
            context.maximum_version = maximum
            context.keylog_filename = keylog
            self.client_contexts.append(context)
        self.listener = socket.create_server((mg.SERVER, TLS_PORT))
        self.pairs = {}

    def _pair(self, conn):
        if conn in self.pairs:
            return self.pairs[conn]
        raw = socket.create_connection((mg.SERVER, TLS_PORT),
                                       source_address=(self.script.connections[conn], 0))
        accepted, _ = self.listener.accept()
        for sock in (raw, accepted):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        result = {}

        def serve():
            try:
                result["server"] = self.server_context.wrap_socket(accepted, server_side=True)
            except OSError as error:
                result["error"] = error

        thread = threading.Thread(target=serve)
        thread.start()
        context = self.client_contexts[min(conn, len(self.client_contexts) - 1)]
        client = context.wrap_socket(raw, server_hostname=mg.HOST)
        thread.join(30)
        if "server" not in result:
            raise CaptureError("TLS handshake failed: %s" % result.get("error"))
        self.pairs[conn] = (client, result["server"])
        return self.pairs[conn]

    def play(self):
        for write in self.script.writes:
            time.sleep(write.wait)
            client, server = self._pair(write.conn)
            sender, receiver = (client, server) if write.from_client else (server, client)
            sender.sendall(write.data)
            if _read_exactly(receiver, len(write.data)) != write.data:
                raise CaptureError("a TLS write arrived changed")
        versions = [self.pairs[c][0].version() for c in sorted(self.pairs)]
        for client, server in self.pairs.values():
            client.close()
            server.close()
        self.listener.close()
        return versions


def capture(out, stem, with_manifest):
    os.makedirs(out, exist_ok=True)
    pcapng = os.path.join(out, stem + ".pcapng")
    keylog = os.path.join(out, stem + ".keys")
    for path in (pcapng, keylog):
        if os.path.exists(path):
            os.unlink(path)
    setup_loopback()
    script = build_script()
    with tempfile.TemporaryDirectory(prefix="newmail-tls-") as folder:
        cert, key = make_certificate(folder)
        dumpcap = start_dumpcap(pcapng)
        try:
            versions = TlsPlayer(script, cert, key, keylog).play()
        finally:
            stop_dumpcap(dumpcap)
    for path in (pcapng, keylog):
        os.chmod(path, 0o644)
    entry = model(script)
    entry["file"], entry["keylog"] = os.path.basename(pcapng), os.path.basename(keylog)
    entry["tls_versions"] = versions
    if with_manifest:
        with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as handle:
            json.dump({"scenarios": {NAME: entry}}, handle, indent=1, sort_keys=True)
            handle.write("\n")
    print("%s (%s) and %s" % (pcapng, ", ".join(versions), keylog))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--out", metavar="DIR", help="test capture, key log and manifest")
    group.add_argument("--example", metavar="DIR", help="examples/mapihttp-tls.*")
    args = parser.parse_args(argv)
    try:
        if not os.environ.get(INSIDE):
            if args.out:
                os.makedirs(args.out, exist_ok=True)
                for stale in (UNAVAILABLE, "manifest.json"):
                    if os.path.exists(os.path.join(args.out, stale)):
                        os.unlink(os.path.join(args.out, stale))
            run_in_namespace(argv)
        elif args.out:
            capture(args.out, NAME, True)
        else:
            capture(args.example, "mapihttp-tls", False)
    except CaptureError as error:
        print("newmail_gen/tls_capture.py: %s" % error, file=sys.stderr)
        return 1
    except NamespaceRefused as error:
        reason = ("no live TLS capture: this user may not make a network namespace "
                  "(%s); the tests that need it skip" % error)
        if args.out:
            with open(os.path.join(args.out, UNAVAILABLE), "w", encoding="utf-8") as handle:
                handle.write(reason + "\n")
        print("newmail_gen/tls_capture.py: SKIPPED: %s" % reason)
        return SKIPPED
    return 0


if __name__ == "__main__":
    sys.exit(main())
