"""Running pnav with eyes open: readiness checks, metrics that name no one, the floor's
alarms and structured logs (docs/operations.md)."""
