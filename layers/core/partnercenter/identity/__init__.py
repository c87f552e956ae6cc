"""Identity verification (R-IDV-1..4): vendor-neutral flow over the vendors' adapters."""
