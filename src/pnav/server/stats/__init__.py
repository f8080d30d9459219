"""Activity statistics for supervisors: periods, counts, SVG charts and CSV (no Flask)."""
