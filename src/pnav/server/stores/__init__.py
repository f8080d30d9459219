"""The built-in stores, one folder per database vendor, and what their schemas and statistics
share.
"""
