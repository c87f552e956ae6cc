"""Sanctions (이용정지): suspensions for abuse, kept as usage records (R-COL-5, R-RET-8)."""
