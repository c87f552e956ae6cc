"""Access records (R-SEC-2): who touched whose personal data, when, how; tamper-evident."""
