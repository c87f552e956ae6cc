"""The anchoring job (R-SEC-2): commit to every access chain's head, hourly and at each
monthly review.

An anchor holds each chain's head (seq and MAC) and is itself chained: ``seq`` one above the
last anchor's, ``prevMac`` its MAC, ``mac`` = HMAC(chain key, prevMac ‖ canonical anchor). It is
written once (``attribute_not_exists``) into AccessAnchorsTable, which only this job's role may
put into and no role may update or delete. Its time is taken before the heads are read, so an
anchor stamped at ``t`` covers every record whose write had finished by ``t``.

Each run also checks that every head the previous anchor committed to is still there with the
same MAC: a chain truncated or rewritten since shows within the hour, not only at the review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from partnercenter.audit.access_records import GENESIS, Break, chain_names, sign
from partnercenter.clock import iso_micro
from partnercenter.config import get_settings
from partnercenter.dal import access_anchors, access_records
from partnercenter.dal.access_anchors import AccessAnchorRecord, ChainHead
from partnercenter.dal.aws import get_secret
from partnercenter.observability import tracer

_MAX_ATTEMPTS = 5  # another run took the next anchor seq (runs are serialised in AWS)


class AnchorNotWritten(Exception):
    """Other runs kept taking the next anchor seq."""


@dataclass(frozen=True)
class AnchorReport:
    seq: int
    at: str
    records: int  # the sum of the anchored heads' seqs: every record the anchor covers
    breaks: tuple[Break, ...]  # previously anchored heads that are gone or changed


def _head(chain: str) -> ChainHead:
    record = access_records.latest(chain)
    return ChainHead(0, GENESIS) if record is None else ChainHead(record.seq, record.mac)


def _changed_since(previous: AccessAnchorRecord) -> tuple[Break, ...]:
    breaks = []
    for chain, head in sorted(previous.heads.items()):
        if head.seq == 0:
            continue
        record = access_records.get(chain, head.seq)
        if record is None:
            breaks.append(Break(chain, head.seq, "missing"))
        elif record.mac != head.mac:
            breaks.append(Break(chain, head.seq, "not_as_anchored"))
    return tuple(breaks)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def _next_anchor(previous: AccessAnchorRecord | None, at: str) -> AccessAnchorRecord:
    chains = sorted(set(chain_names()) | set(previous.heads if previous else {}))
    return AccessAnchorRecord(
        seq=previous.seq + 1 if previous else 1,
        at=at,
        heads={chain: _head(chain) for chain in chains},
        prev_mac=previous.mac if previous else GENESIS,
    )


def write_anchor(now: datetime) -> AnchorReport:
    """One new anchor over every chain's current head."""
    key = get_secret(get_settings().access_chain_secret)
    at = iso_micro(now)
    for _ in range(_MAX_ATTEMPTS):
        previous = access_anchors.latest()
        anchor = sign(key, _next_anchor(previous, at))
        if access_anchors.put_new(anchor):
            return AnchorReport(
                seq=anchor.seq,
                at=at,
                records=sum(head.seq for head in anchor.heads.values()),
                breaks=_changed_since(previous) if previous else (),
            )
    raise AnchorNotWritten()
