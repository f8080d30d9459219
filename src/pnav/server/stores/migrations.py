"""What the SQLite and PostgreSQL schemas share: numbered migrations and their checks.

Each store numbers its schema the same way (version 2 is the first released one) and
refuses, with one clear message, a database it would misread: newer than this pnav
knows, or older and not yet brought up to date by ``pnav db upgrade``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Migration", "SchemaVersionError", "check_version", "pending"]


class SchemaVersionError(RuntimeError):
    """The database's schema is not the one this pnav uses; the message says what to do."""


@dataclass(frozen=True)
class Migration:
    """One schema version: the statements that bring the previous version to it."""

    version: int
    description: str
    statements: tuple[str, ...]


def check_version(version: int, latest: int, where: str, *, upgrading: bool, backup: str) -> None:
    """SchemaVersionError if ``where`` is newer than ``latest``, or older and not
    ``upgrading``; ``backup`` names what to back up first ("the file", "the database")."""
    if version > latest:
        raise SchemaVersionError(
            f"{where} has schema version {version}, newer than this pnav knows ({latest}): "
            "upgrade pnav"
        )
    if version < latest and not upgrading:
        raise SchemaVersionError(
            f"{where} has schema version {version} and this pnav needs {latest}: "
            f"back up {backup}, then run `pnav db upgrade`"
        )


def pending(migrations: Sequence[Migration], version: int) -> list[Migration]:
    """The steps that bring a schema at ``version`` to the latest, in order."""
    return [step for step in migrations if step.version > version]
