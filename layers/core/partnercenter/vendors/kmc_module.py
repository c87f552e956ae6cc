"""KMC's distributed cipher module, called as a subprocess (see docs/vendor-cipher.md).

KMC ships its sealing code as a module that integrators call; the deployed stack runs it as
a command: ``<command> <operation>`` with a JSON request on stdin and a JSON answer on stdout.
Arguments never carry the key or the data (other processes can read a command line); stderr
is discarded unread, since a module may echo what it was given.

Protocol, one call per operation:
- argv: ``[command, "encrypt" | "decrypt" | "mac"]``
- stdin: ``{"key": <key material>, "certNum": <"" for the site key>, "data": <text>}``, where
  ``data`` is the plaintext as base64url for ``encrypt``, the token for ``decrypt`` and the
  text to authenticate for ``mac``
- stdout, exit 0: ``{"result": <text>}``: the token, the plaintext as base64url, or the MAC
- exit 2: ``decrypt`` found the token not sealed under this certNum (a forgery, not an outage)
- any other exit, no answer within the timeout, or an answer of another shape: the module is
  unavailable, and so is the vendor.
"""

from __future__ import annotations

import hmac
import json
import os
from typing import Literal

from partnercenter.errors import VendorUnavailable, VerificationTampered
from partnercenter.observability import logger
from partnercenter.vendors.kmc_cipher import b64url_decode, b64url_encode

# A real KMC integrator needed 5 s for the cipher subprocess (vendors.md).
MODULE_TIMEOUT_SECONDS = 5.0
TAMPERED_EXIT_CODE = 2
Operation = Literal["encrypt", "decrypt", "mac"]


class KmcModuleCipher:
    """``KmcCipher`` over KMC's module; the key material stays out of argv, logs and errors."""

    def __init__(
        self, *, command: str, key: str, timeout_seconds: float = MODULE_TIMEOUT_SECONDS
    ) -> None:
        # Checked here so that a missing module is a configuration fault at the first request,
        # not a surprise in the middle of a verification.
        if not os.path.isabs(command):
            raise ValueError("the kmc secret's cipherCommand must be an absolute path")
        if not (os.path.isfile(command) and os.access(command, os.X_OK)):
            raise ValueError("the kmc secret's cipherCommand is not an executable file")
        if not key:
            raise ValueError("the kmc secret lacks cipherKey")
        self._command = command
        self._key = key
        self._timeout = timeout_seconds

    def __repr__(self) -> str:
        return "KmcModuleCipher()"  # never the key

    def encrypt(self, cert_num: str, plaintext: bytes) -> str:
        return self._run("encrypt", cert_num, b64url_encode(plaintext))

    def decrypt(self, cert_num: str, token: str) -> bytes:
        try:
            return b64url_decode(self._run("decrypt", cert_num, token))
        except ValueError:
            raise VendorUnavailable() from None

    def mac(self, cert_num: str, data: str) -> str:
        return self._run("mac", cert_num, data)

    def verify_mac(self, cert_num: str, data: str, mac: str) -> bool:
        return hmac.compare_digest(self.mac(cert_num, data).encode(), mac.encode())

    def _run(self, operation: Operation, cert_num: str, data: str) -> str:
        # Imported here: only deployed KMC verifications run the module (cold start).
        import subprocess  # nosec B404 - a fixed argv, never a shell

        request = json.dumps({"key": self._key, "certNum": cert_num, "data": data})
        try:
            done = subprocess.run(  # noqa: S603  # nosec B603 - list argv, no shell
                [self._command, operation],
                input=request.encode("utf-8"),
                capture_output=True,
                timeout=self._timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            logger.error("KMC module timed out", extra={"operation": operation})
            raise VendorUnavailable() from None
        except OSError as exc:  # vanished since start-up, or not executable any more
            logger.error(
                "KMC module could not start",
                extra={"operation": operation, "errorType": type(exc).__name__},
            )
            raise VendorUnavailable() from None
        if done.returncode == TAMPERED_EXIT_CODE and operation == "decrypt":
            raise VerificationTampered()
        if done.returncode != 0:
            logger.error(
                "KMC module failed", extra={"operation": operation, "exitCode": done.returncode}
            )
            raise VendorUnavailable()
        try:
            answer = json.loads(done.stdout)
        except ValueError:
            answer = None
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, str):
            logger.error("KMC module answered out of protocol", extra={"operation": operation})
            raise VendorUnavailable()
        return result
