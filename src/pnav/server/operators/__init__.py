"""Operator accounts, the desk key and canned replies (no Flask)."""
