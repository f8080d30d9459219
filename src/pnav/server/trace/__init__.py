"""Browser forensics: ``pnav trace-check`` and the profile scans the trace tests share (the only
code that drives Chromium).
"""
