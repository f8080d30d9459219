"""pnav: a privacy-first victim-support chat. pnav.sdk is what integrators import; pnav.server runs
it.
"""
