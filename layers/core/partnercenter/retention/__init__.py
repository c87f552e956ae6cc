"""Retention and destruction (R-RET-1..8): holds, separated storage, purge, destruction records."""
