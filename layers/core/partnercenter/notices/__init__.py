"""Notices to members: policy changes, business transfers, breaches (R-NOT-1, R-NOT-2, R-SEC-4)."""
