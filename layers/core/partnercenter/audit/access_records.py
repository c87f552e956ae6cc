"""Append and verify the access records (R-SEC-2): many HMAC chains, fixed by anchors.

Each record holds who (actor and role), when, whose data (a pseudonym), what action and the
source IP, plus ``mac`` = HMAC(key, previous mac ‖ canonical record, its chain included).
Records are spread over ``CHAINS`` chains (``access#0`` ...) so that concurrent writers rarely
race for the same next seq. A container sticks to one chain, chosen at random on its first
record, and appends after the record it last wrote there without reading the head (one round
trip, not two); if another writer took that seq it reads the head and tries again, and on a
further loss it moves to another chain.

Writing along (one ``TransactWriteItems``): ``record_access(..., along=transaction)`` commits
the caller's named ``Transaction`` (``dal/transactions.py``) together with the access record,
all or nothing; the request's deferred usage record rides along too. A lost chain race retries
on another chain with the caller's entries unchanged; when one of the caller's entries fails,
``TransactionCancelled`` reaches the caller, who asks it by the entry's name as after its own
``commit()``. The names ``access_record`` and ``usage_record`` are taken, and the caller's
entries plus these two must fit in one transaction. The caller does not commit ``along`` itself.

A chain alone cannot show that its newest records were removed, nor its oldest, since the
remaining ones still link up. Anchors (``audit/anchors.py``) commit to every chain's head and
are chained themselves, in storage the writers cannot touch: verification walks each chain
from an anchored head (or genesis) and must reach every later anchored head with the MAC the
anchor holds. Removing, rewriting or truncating anything an anchor covers then breaks at a
named place (chain, seq). See docs/access-records.md.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from partnercenter.clock import iso_micro, utc_now
from partnercenter.config import get_settings
from partnercenter.crypto import chain_mac
from partnercenter.dal import access_anchors, access_records, usage_records
from partnercenter.dal.access_anchors import AccessAnchorRecord
from partnercenter.dal.access_records import AccessRecord
from partnercenter.dal.aws import get_secret
from partnercenter.dal.transactions import Transaction
from partnercenter.hashing import subject_pseudonym

if TYPE_CHECKING:
    from partnercenter.models import Caller

GENESIS = "genesis"
# Enough chains that 32 concurrent writers mostly land on different ones (docs/access-records.md).
# Raising it is safe (new chains start at genesis); verification also walks every chain an
# anchor names, so lowering it never hides a chain that has records.
CHAINS = 16
_MAX_ATTEMPTS = 24  # bounded: each lost race moves to another chain
ANCHORS = "anchors"  # the place name of a break in the anchors' own chain
Problem = Literal["missing", "altered", "not_as_anchored"]


class AccessRecordNotWritten(Exception):
    """Every chain tried stayed contended; the caller's action must not proceed unrecorded."""


def chain_names() -> list[str]:
    return [f"access#{k}" for k in range(CHAINS)]


def sign[Signed: (AccessRecord, AccessAnchorRecord)](key: str, unsigned: Signed) -> Signed:
    """``unsigned`` (an access record or an anchor) with the MAC it must carry after its
    ``prev_mac``."""
    return replace(unsigned, mac=chain_mac(key, unsigned.prev_mac, unsigned.signed_text()))


def _signed_after(key: str, previous_mac: str, stored: AccessRecord | AccessAnchorRecord) -> bool:
    """Whether ``stored`` links to ``previous_mac`` and carries the MAC its content needs."""
    return stored.prev_mac == previous_mac and stored.mac == chain_mac(
        key, previous_mac, stored.signed_text()
    )


@dataclass(frozen=True)
class Place:
    chain: str
    seq: int


def _another(chain: str, names: list[str]) -> str:
    """A different chain, chosen at random: writers that collided do not collide again."""
    if len(names) == 1:
        return chain
    index = names.index(chain)
    return names[(index + 1 + secrets.randbelow(len(names) - 1)) % len(names)]


def record_access(
    *,
    actor: str,
    actor_role: str,
    member_id: str,
    action: str,
    source_ip: str = "",
    along: Transaction | None = None,
) -> Place:
    """Append one access record to some chain; returns where it went. ``along``: the caller's
    writes, committed in the same transaction (see the module's docstring)."""
    key = get_secret(get_settings().access_chain_secret)
    subject = subject_pseudonym(member_id)
    # The request's usage record (R-COL-5) rides along with its first access record: one round
    # trip for both. Should no record be written, it goes back to be written alone.
    usage = usage_records.take_deferred()
    writes = Transaction()
    if along is not None:
        writes.add_all(along)
    if usage:
        writes.add("usage_record", usage_records.put_entry(usage))
    try:
        return _append(key, writes, actor, actor_role, subject, action, source_ip)
    except BaseException:
        usage_records.defer(usage)
        raise


def _append(
    key: str,
    along: Transaction,
    actor: str,
    actor_role: str,
    subject: str,
    action: str,
    source_ip: str,
) -> Place:
    names = chain_names()
    last = access_records.last_written()
    head: tuple[int, str] | None = None  # (seq, mac) after which to append
    if last is not None and last.chain in names:
        chain, head = last.chain, (last.seq, last.mac)
    else:
        # Random rather than a hash of the request: the same spread without plumbing request
        # ids; ``secrets`` so that environments restored from one snapshot choose apart.
        chain = names[secrets.randbelow(len(names))]
    for _ in range(_MAX_ATTEMPTS):
        guessed = head is not None
        if head is None:
            latest = access_records.latest(chain)
            head = (latest.seq, latest.mac) if latest else (0, GENESIS)
        record = AccessRecord(
            chain=chain,
            seq=head[0] + 1,
            at=iso_micro(utc_now()),
            actor=actor,
            actor_role=actor_role,
            subject=subject,
            action=action,
            source_ip=source_ip,
            prev_mac=head[1],
        )
        if access_records.append(sign(key, record), along):
            return Place(chain, record.seq)
        head = None
        if not guessed:  # a stale guess is retried on the same chain, from its head
            chain = _another(chain, names)
    raise AccessRecordNotWritten()


def record_own_access(caller: Caller, action: str, along: Transaction | None = None) -> Place:
    """A member reading or changing their own data: they are both actor and subject."""
    return record_access(
        actor=caller.member_id,
        actor_role="member",
        member_id=caller.member_id,
        action=action,
        source_ip=caller.source_ip,
        along=along,
    )


# ---------------------------------------------------------------------------- verification
@dataclass(frozen=True)
class Break:
    """Where verification found the records or anchors not as written.

    ``chain`` is an access chain or ``anchors``; ``problem`` is ``missing`` (a seq that should
    be there is not), ``altered`` (content or link does not match its MAC) or ``not_as_anchored``
    (a record differs from the head an anchor committed to)."""

    chain: str
    seq: int
    problem: Problem


@dataclass(frozen=True)
class ChainReport:
    records: int
    breaks: tuple[Break, ...] = ()
    complete: bool = True
    from_anchor: int | None = None  # None: from each chain's genesis
    to_anchor: int | None = None  # None: through each chain's head, past the last anchor

    @property
    def intact(self) -> bool:
        return not self.breaks


class _Broken(Exception):
    def __init__(self, place: Break) -> None:
        super().__init__(place.chain, place.seq)
        self.place = place


@dataclass
class _Heads:
    """What the verified anchors say about each chain."""

    start: dict[str, tuple[int, str]] = field(default_factory=dict)  # chain -> (seq, mac)
    anchored: dict[str, dict[int, str]] = field(default_factory=dict)  # chain -> seq -> mac
    to_anchor: int | None = None


def _anchor_heads(anchor: AccessAnchorRecord) -> dict[str, tuple[int, str]]:
    return {c: (h.seq, h.mac) for c, h in anchor.heads.items()}


def _anchored_heads_agree(heads: _Heads, anchor: AccessAnchorRecord) -> Break | None:
    """Record the anchor's heads; a head some earlier anchor saw otherwise is a break."""
    for chain, head in anchor.heads.items():
        known = heads.anchored.setdefault(chain, {})
        if known.setdefault(head.seq, head.mac) != head.mac:
            return Break(chain, head.seq, "not_as_anchored")
    return None


def _verified_anchors(
    key: str, first: AccessAnchorRecord | None, last: AccessAnchorRecord | None
) -> tuple[_Heads, Break | None]:
    """The anchors from ``first`` (None: from anchor 1) to ``last`` (None: the latest), each
    checked: seq contiguous, linked to the one before, MAC right. Stops at the first that is
    not; its heads and those after it are not used."""
    heads = _Heads(start=_anchor_heads(first) if first else {})
    start_seq = first.seq if first else 0
    expected_seq = first.seq if first else 1
    previous_mac = first.prev_mac if first else GENESIS
    last_seq = last.seq if last else None
    for anchor in access_anchors.since(expected_seq, last_seq):
        if anchor.seq != expected_seq:
            return heads, Break(ANCHORS, expected_seq, "missing")
        if not _signed_after(key, previous_mac, anchor):
            return heads, Break(ANCHORS, anchor.seq, "altered")
        # The start anchor is a start, not a bound.
        disagreement = _anchored_heads_agree(heads, anchor) if anchor.seq != start_seq else None
        if disagreement:
            return heads, disagreement
        heads.to_anchor = anchor.seq
        previous_mac, expected_seq = anchor.mac, anchor.seq + 1
    if last_seq is not None and expected_seq <= last_seq:
        return heads, Break(ANCHORS, expected_seq, "missing")
    return heads, None


def _walk(
    key: str, chain: str, start: tuple[int, str], anchored: dict[int, str], bounded: bool
) -> Iterator[AccessRecord]:
    """The chain's records after ``start``, each verified before it is yielded; raises
    ``_Broken`` at the first that is missing or not as written. ``bounded``: stop at the
    highest anchored head, which must be reached; else go on to the chain's head."""
    previous_seq, previous_mac = start
    must_reach = max(anchored, default=previous_seq)
    through = must_reach if bounded else None
    for record in access_records.iterate(chain, previous_seq, through):
        if record.seq != previous_seq + 1:
            raise _Broken(Break(chain, previous_seq + 1, "missing"))
        if not _signed_after(key, previous_mac, record):
            raise _Broken(Break(chain, record.seq, "altered"))
        if anchored.get(record.seq, record.mac) != record.mac:
            raise _Broken(Break(chain, record.seq, "not_as_anchored"))
        previous_seq, previous_mac = record.seq, record.mac
        yield record
    if previous_seq < must_reach:
        raise _Broken(Break(chain, previous_seq + 1, "missing"))


def _never() -> bool:
    return False


def verify_range(
    first: AccessAnchorRecord | None,
    last: AccessAnchorRecord | None,
    visit: Callable[[AccessRecord], None] = lambda _record: None,
    out_of_time: Callable[[], bool] = _never,
    max_records: int | None = None,
) -> ChainReport:
    """Verify every chain from anchor ``first`` (None: genesis) to anchor ``last`` (None:
    through each chain's head); ``visit`` sees each verified record."""
    key = get_secret(get_settings().access_chain_secret)
    heads, anchor_break = _verified_anchors(key, first, last)
    breaks = [anchor_break] if anchor_break else []
    # A broken anchor chain leaves no trusted end: walk on to each chain's head.
    bounded = last is not None and anchor_break is None
    chains = sorted(set(chain_names()) | set(heads.start) | set(heads.anchored))
    count, complete = 0, True
    for chain in chains:
        start = heads.start.get(chain, (0, GENESIS))
        try:
            for record in _walk(key, chain, start, heads.anchored.get(chain, {}), bounded):
                count += 1
                visit(record)
                if (max_records is not None and count >= max_records) or out_of_time():
                    complete = False
                    break
        except _Broken as broken:
            breaks.append(broken.place)
        if not complete:
            break
    return ChainReport(
        records=count,
        breaks=tuple(breaks),
        complete=complete,
        from_anchor=first.seq if first else None,
        to_anchor=heads.to_anchor if bounded else None,
    )


def verify_chain() -> ChainReport:
    """Every record of every chain, from genesis, against every anchor and on past the last."""
    return verify_range(None, None)
