# SPDX-License-Identifier: GPL-2.0-or-later
"""NTLM packet privacy for the generated DCE/RPC captures, as Windows does it.

Since Exchange 2007, Outlook seals its RPC connections: the bind carries an
NTLM NEGOTIATE_MESSAGE, the bind_ack the server's CHALLENGE_MESSAGE, an AUTH3
PDU the client's AUTHENTICATE_MESSAGE, and from then on every request and
response stub is RC4-encrypted and followed by a 16-byte NTLM signature
(MS-RPCE 2.2.2.11 and 3.3.1.5.2, MS-NLMP 3.4 with extended session security,
NTLMv2, key exchange, 128-bit keys).  Wireshark decrypts such a connection
when it is given the user's password (``-o ntlmssp.nt_password:...``).

``NtlmSecurity`` plays both sides of one connection: newmail_gen/pcap.py's
MapiSession asks it for the three tokens in order and for the seal of every
PDU.  The NTLM cryptography is impacket's (Debian python3-impacket):
NTOWFv2, the NTLMv2 response, KXKEY, the session key exchange, SIGNKEY,
SEALKEY and the message signature.  Nothing here is random: the challenges
and the exported session key are derived from a label, so the captures are
byte-for-byte reproducible.  The CHALLENGE_MESSAGE carries a timestamp
(MsvAvTimestamp) for the same reason, and so the client sends Z(24) as its
LmChallengeResponse (MS-NLMP 3.1.5.1.2).

Before handing out the AUTHENTICATE_MESSAGE, the object also takes the
server's part the independent way: from the password and the message alone
it recomputes the session key the client chose and checks it is the one the
client seals with.  Nothing is ever sent on a network.
"""

import hashlib
import struct

try:
    from impacket import ntlm
    _IMPORT_ERROR = None
except ImportError as error:            # reported by available()
    ntlm = None
    _IMPORT_ERROR = error

# The account of every sealed capture.  tests pass PASSWORD to tshark.
USER = "outlook.user"
DOMAIN = "EXAMPLE"
PASSWORD = "Exchange2026"
WORKSTATION = "CLIENT01"
SERVER_NAME = "EXCH01"
DNS_DOMAIN = "example.com"

RPC_C_AUTHN_WINNT = 10                # NTLMSSP (MS-RPCE 2.2.1.1.7)
RPC_C_AUTHN_LEVEL_PKT_PRIVACY = 6     # sign and seal (2.2.1.1.8)

# 2026-01-01 00:00:00 UTC as a FILETIME, the capture epoch of
# newmail_gen/pcap.py: the server's MsvAvTimestamp.
FILETIME_2026 = 116444736000000000 + 1767225600 * 10000000


def available():
    """(True, "") when impacket's ntlm module can be used, else (False,
    why), for the generator to say which captures it could not write."""
    if ntlm is None:
        return False, "python3-impacket is not installed (%s)" % _IMPORT_ERROR
    try:
        ntlm.ARC4.new(bytes(16))
        ntlm.MD4.new()
    except Exception as error:          # pylint: disable=broad-except
        return False, "impacket's crypto backend does not work: %s" % error
    return True, ""


def _derive(label, purpose, length):
    """Deterministic bytes standing in for a random value."""
    return hashlib.sha256(("%s/%s" % (label, purpose)).encode()).digest()[:length]


def _version(major, minor, build):
    """An NTLM VERSION structure (MS-NLMP 2.2.2.10), NTLM revision 15."""
    return struct.pack("<BBH3sB", major, minor, build, bytes(3), 0x0F)


class NtlmSecurity:
    """One NTLM security context of one DCE/RPC connection: the tokens of
    the three legs and the seal of every PDU, for both directions.

    ``label`` names the connection; two connections with different labels
    get different challenges and keys (Outlook's async wait runs on a
    connection of its own, with its own context).  The attributes
    ``auth_type``, ``auth_level``, ``context_id`` and ``verifier_length``
    are what newmail_pcap.sec_trailer and protected_pdu read.
    """

    auth_type = RPC_C_AUTHN_WINNT
    auth_level = RPC_C_AUTHN_LEVEL_PKT_PRIVACY
    context_id = 0
    verifier_length = 16

    def __init__(self, label, user=USER, domain=DOMAIN, password=PASSWORD,
                 workstation=WORKSTATION):
        ok, why = available()
        if not ok:
            raise RuntimeError(why)
        self.user = user
        self.domain = domain
        self.password = password
        self.workstation = workstation
        self.server_challenge = _derive(label, "server challenge", 8)
        self.client_challenge = _derive(label, "client challenge", 8)
        self.exported_session_key = _derive(label, "session key", 16)
        self._negotiate = ntlm.getNTLMSSPType1("", "", signingRequired=True,
                                               use_ntlmv2=True)
        self.flags = None            # as negotiated, set by challenge()
        self._target_info = None
        self._keys = None
        self._sequence = {True: 0, False: 0}

    # --- the three legs ------------------------------------------------

    def negotiate(self):
        """The NEGOTIATE_MESSAGE the client's bind carries."""
        return self._negotiate.getData()

    def challenge(self):
        """The CHALLENGE_MESSAGE of the server's bind_ack (MS-NLMP 2.2.1.2):
        the client's flags, a domain target, a version, and target info
        with the server's names and a timestamp."""
        flags = (self._negotiate["flags"] | ntlm.NTLMSSP_TARGET_TYPE_DOMAIN
                 | ntlm.NTLMSSP_NEGOTIATE_VERSION)
        av_pairs = ntlm.AV_PAIRS()
        av_pairs[ntlm.NTLMSSP_AV_DOMAINNAME] = self.domain.encode("utf-16le")
        av_pairs[ntlm.NTLMSSP_AV_HOSTNAME] = SERVER_NAME.encode("utf-16le")
        av_pairs[ntlm.NTLMSSP_AV_DNS_DOMAINNAME] = DNS_DOMAIN.encode("utf-16le")
        av_pairs[ntlm.NTLMSSP_AV_DNS_HOSTNAME] = (
            "%s.%s" % (SERVER_NAME.lower(), DNS_DOMAIN)).encode("utf-16le")
        av_pairs[ntlm.NTLMSSP_AV_TIME] = struct.pack("<q", FILETIME_2026)
        target_info = av_pairs.getData()
        message = ntlm.NTLMAuthChallenge()
        message["flags"] = flags
        message["challenge"] = self.server_challenge
        message["domain_name"] = self.domain.encode("utf-16le")
        message["Version"] = _version(10, 0, 17763)
        message["VersionLen"] = 8
        message["domain_offset"] = 48 + 8
        message["TargetInfoFields"] = target_info
        message["TargetInfoFields_offset"] = 48 + 8 + len(message["domain_name"])
        self.flags = self._negotiate["flags"]
        self._target_info = target_info
        return message.getData()

    def authenticate(self):
        """The AUTHENTICATE_MESSAGE the client's AUTH3 carries (NTLMv2,
        the session key exchanged), after which both sides seal."""
        if self._target_info is None:
            raise RuntimeError("authenticate() before challenge()")
        nt_response, _, session_base_key = ntlm.computeResponseNTLMv2(
            self.flags, self.server_challenge, self.client_challenge,
            self._target_info, self.domain, self.user, self.password)
        key_exchange_key = ntlm.KXKEY(self.flags, session_base_key, b"",
                                      self.server_challenge, self.password,
                                      "", "", use_ntlmv2=True)
        encrypted_key = ntlm.generateEncryptedSessionKey(
            key_exchange_key, self.exported_session_key)
        message = ntlm.NTLMAuthChallengeResponse(self.user)
        message["flags"] = self.flags
        message["domain_name"] = self.domain.encode("utf-16le")
        message["host_name"] = self.workstation.encode("utf-16le")
        message["lanman"] = bytes(24)
        message["ntlm"] = nt_response
        message["session_key"] = encrypted_key
        data = message.getData()
        self._check_server_side(nt_response, encrypted_key)
        self._start_sealing()
        return data

    def _check_server_side(self, nt_response, encrypted_key):
        """Recompute, as the server does from the password and the message,
        the key the client chose (MS-NLMP 3.2.5.1.2); it must be ours."""
        response_key = ntlm.hmac_md5(
            ntlm.compute_nthash(self.password),
            self.user.upper().encode("utf-16le") + self.domain.encode("utf-16le"))
        nt_proof = ntlm.hmac_md5(response_key,
                                 self.server_challenge + nt_response[16:])
        if nt_proof != nt_response[:16]:
            raise AssertionError("NTLMv2 response does not verify")
        session_base_key = ntlm.hmac_md5(response_key, nt_proof)
        recovered = ntlm.ARC4.new(session_base_key).decrypt(encrypted_key)
        if recovered != self.exported_session_key:
            raise AssertionError("the server would recover another session key")

    def _start_sealing(self):
        keys = {}
        for from_client, mode in ((True, "Client"), (False, "Server")):
            seal_key = ntlm.SEALKEY(self.flags, self.exported_session_key, mode)
            keys[from_client] = (
                ntlm.SIGNKEY(self.flags, self.exported_session_key, mode),
                ntlm.ARC4.new(seal_key).encrypt)
        self._keys = keys

    # --- every PDU after that -----------------------------------------

    def seal(self, from_client, to_sign, to_encrypt):
        """Seal one PDU of one direction: (encrypted stub and padding,
        16-byte verifier).  The checksum is HMAC-MD5 over the sequence
        number and ``to_sign`` (the whole PDU without its verifier),
        encrypted with the same RC4 stream right after the stub, so the
        order of the calls matters, as it does on the wire."""
        if self._keys is None:
            raise RuntimeError("seal() before authenticate()")
        sign_key, handle = self._keys[from_client]
        sequence = self._sequence[from_client]
        sealed, signature = ntlm.SEAL(self.flags, sign_key, None, to_sign,
                                      to_encrypt, sequence, handle)
        self._sequence[from_client] = sequence + 1
        return sealed, signature.getData()
