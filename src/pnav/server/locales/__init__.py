"""Interface languages: the shipped locale tables, the choice of one for a person, and
machine-translated tables for the languages the translator knows and no table ships for."""

from pnav.server.locales.machine import MachineTables
from pnav.server.locales.tables import Locale, ShippedTables, base_language

__all__ = ["Locale", "MachineTables", "ShippedTables", "base_language"]
