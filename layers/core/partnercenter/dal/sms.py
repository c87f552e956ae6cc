"""Text messages to members' phones through SNS (direct publish to a number; no topic).

The number and the message go to SNS and nowhere else: never into a log line or an exception
message (R-SEC-3); a refusal carries SNS's error code only.
"""

from __future__ import annotations

from partnercenter.dal.aws import client

# The sender every text names first, so members know it is this portal's.
SENDER_TAG = "[티켓파트너센터]"
# Notices members must receive are transactional, not promotional (R-ADV-1 does not apply).
_TRANSACTIONAL = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}


class SmsRefused(Exception):
    """SNS refused the message; ``code`` is its error code (never the number)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def korean_mobile_e164(phone: str) -> str:
    """``01012345678`` -> ``+821012345678`` (R-COL-1 keeps Korean mobile numbers as digits)."""
    return "+82" + phone[1:]


def send_sms(phone_e164: str, message: str) -> str:
    """Send one text message; returns SNS's message id."""
    from botocore.exceptions import ClientError

    try:
        answer = client("sns").publish(
            PhoneNumber=phone_e164, Message=message, MessageAttributes=_TRANSACTIONAL
        )
    except ClientError as exc:
        raise SmsRefused(str(exc.response.get("Error", {}).get("Code", "Unknown"))) from None
    return str(answer["MessageId"])
