"""Abuse limits: what one address, one ticket, one conversation or one account may do.

Counts live in memory for one process or in Redis for several (the ``limits``
library); addresses are only ever keyed by a keyed hash that changes every day.
docs/deploy.md, "Limits", says how to size them.
"""

from pnav.server.abuse.limiter import AbuseLimits, Refusal
from pnav.server.abuse.proof_of_work import ProofOfWork
from pnav.server.abuse.slow_work import Busy, SlowWork

__all__ = ["AbuseLimits", "Busy", "ProofOfWork", "Refusal", "SlowWork"]
