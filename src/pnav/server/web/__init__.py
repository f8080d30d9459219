"""The web layer: the Flask app factory, every route and socket handler, response headers. Handlers
parse and delegate; the domain lives in the sibling packages.
"""
