#!/usr/bin/env python3
"""A stand-in for KMC's distributed module that speaks the adapter's stdin/stdout protocol.

It tests our adapter (partnercenter.vendors.kmc_module), not KMC: the standard library only,
and authenticity without secrecy (a keyed tag in front of the plaintext), which is enough to
prove that sealing round-trips and that a token for another certNum is refused with exit 2.
Key material of the form ``<mode>:<anything>`` picks a misbehaviour for the error-path
tests: ``hang`` never answers, ``fail`` exits 1 after echoing its input to stderr,
``garbage`` answers with something that is not the protocol's JSON.
"""

import base64
import hashlib
import hmac
import json
import sys
import time


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def tag(key: str, cert_num: str) -> bytes:
    return hmac.new(key.encode(), b"enc/" + cert_num.encode(), hashlib.sha256).digest()[:16]


def main() -> int:
    operation = sys.argv[1]
    request = json.loads(sys.stdin.buffer.read())
    key, cert_num, data = request["key"], request["certNum"], request["data"]
    mode = key.partition(":")[0]
    if mode == "hang":
        time.sleep(3600)
    if mode == "fail":
        sys.stderr.write(json.dumps(request))
        return 1
    if mode == "garbage":
        sys.stdout.write("<html>not json</html>")
        return 0
    if operation == "encrypt":
        result = b64(tag(key, cert_num) + unb64(data))
    elif operation == "decrypt":
        raw = unb64(data)
        if not hmac.compare_digest(raw[:16], tag(key, cert_num)):
            return 2
        result = b64(raw[16:])
    elif operation == "mac":
        digest = hmac.new(key.encode(), f"mac/{cert_num}/{data}".encode(), hashlib.sha256)
        result = b64(digest.digest())
    else:
        return 64
    sys.stdout.write(json.dumps({"result": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
