"""Casework that leaves the encrypted channel on purpose: the console's forms, emergencies, reports
and the CSV directory.
"""
