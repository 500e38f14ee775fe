"""Placeholder replaced by the fee-quote module (issue 7, item 1)."""
