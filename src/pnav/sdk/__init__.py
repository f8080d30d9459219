"""pnav.sdk: what integrators import: the embed helper, crypto, backend interfaces, a client."""

from __future__ import annotations

from pnav.sdk.embed import EmbedError, embed_snippet

__all__ = ["EmbedError", "embed_snippet"]
