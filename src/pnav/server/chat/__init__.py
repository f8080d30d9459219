"""The chat service: conversations, their frames, presence, routing, notes and supervision (no
Flask).
"""
