"""Reading a backend's options (from settings) with errors that say what is wrong.

Backends' ``from_options`` take a plain dict from TOML or JSON; these helpers pop one
option each, check its type and range, and :func:`done` refuses what is left over.
Every error is a ``ValueError`` or ``TypeError``, which the registry reports as a
start-up error naming the backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Options"]

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


class Options:
    """A backend's options, consumed one by one."""

    def __init__(self, backend: str, options: Mapping[str, Any], context: Mapping[str, Any]):
        if not isinstance(options, Mapping):
            raise TypeError(f"{backend} options must be a table, not {type(options).__name__}")
        self.backend = backend
        self._left = dict(options)
        self._known: list[str] = []
        data_dir = context.get("data_dir")
        self.data_dir = Path(data_dir) if data_dir is not None else None

    def _take(self, name: str) -> Any:
        self._known.append(name)
        return self._left.pop(name, None)

    def string(self, name: str, default: str | None = None, required: bool = False) -> str | None:
        value = self._take(name)
        if value is None:
            if required:
                raise ValueError(f"{self.backend}: the option {name!r} is required")
            return default
        if not isinstance(value, str):
            raise TypeError(f"{self.backend}: {name!r} must be a string")
        return value

    def number(self, name: str, default: float, low: float, high: float) -> float:
        value = self._take(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{self.backend}: {name!r} must be a number")
        if not low <= value <= high:
            raise ValueError(f"{self.backend}: {name!r} must be between {low} and {high}")
        return float(value)

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self._take(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{self.backend}: {name!r} must be a whole number")
        if not low <= value <= high:
            raise ValueError(f"{self.backend}: {name!r} must be between {low} and {high}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self._take(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise TypeError(f"{self.backend}: {name!r} must be true or false")
        return value

    def path(self, name: str, default: str | None = None, required: bool = False) -> Path | None:
        """A path; a relative one is taken from the data directory."""
        value = self._take(name)
        if value is None:
            value = default
        if value is None:
            if required:
                raise ValueError(f"{self.backend}: the option {name!r} is required")
            return None
        if not isinstance(value, str | Path):
            raise TypeError(f"{self.backend}: {name!r} must be a path")
        path = Path(value).expanduser()
        if not path.is_absolute() and self.data_dir is not None:
            path = self.data_dir / path
        return path

    def paths(self, name: str) -> list[Path]:
        """One path or a list of paths."""
        value = self._take(name)
        if value is None:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        out = []
        for item in values:
            if not isinstance(item, str | Path):
                raise TypeError(f"{self.backend}: {name!r} must be a path or a list of paths")
            path = Path(item).expanduser()
            if not path.is_absolute() and self.data_dir is not None:
                path = self.data_dir / path
            out.append(path)
        return out

    def secret(self, name: str, required: bool = False) -> bytes | None:
        """A secret given as ``name`` or read from the file ``name_file`` (better: it
        keeps secrets out of the settings file). Never echoed in errors."""
        value = self.string(name)
        file = self.path(f"{name}_file")
        if value is not None and file is not None:
            raise ValueError(f"{self.backend}: give {name!r} or {name + '_file'!r}, not both")
        if file is not None:
            try:
                value = file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ValueError(f"{self.backend}: cannot read {name}_file {file}: {exc}") from exc
        if not value:
            if required:
                raise ValueError(f"{self.backend}: {name!r} or {name + '_file'!r} is required")
            return None
        if len(value) < 16:
            raise ValueError(f"{self.backend}: {name!r} must be at least 16 characters")
        return value.encode()

    def url(self, name: str, allow_http: bool = False) -> str:
        """An http(s) URL; plain http only to loopback unless ``allow_http``."""
        value = self.string(name, required=True)
        assert value is not None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{self.backend}: {name!r} must be an http(s) URL")
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK and not allow_http:
            raise ValueError(
                f"{self.backend}: {name!r} must use https (plain http is only allowed to "
                "localhost, or with allow_http = true)"
            )
        return value

    def done(self) -> None:
        """Refuse options nobody took."""
        if self._left:
            known = ", ".join(sorted(set(self._known))) or "none"
            raise ValueError(
                f"{self.backend}: unknown options {', '.join(sorted(self._left))} (known: {known})"
            )
