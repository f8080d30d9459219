"""One registry for every pluggable backend slot.

A slot (``store``, ``router``, ``broker``, …) is filled by a class found by short name
in the entry-point group ``pnav.<slot>`` (built-in backends register there exactly like
third-party ones) or by a ``"module:Class"`` path. Options are passed as keyword
arguments, or to the class's ``from_options(options, context)`` when it has one, so a
backend can use the server's settings (``context``: ``data_dir``, …).

Anything wrong stops start-up with a :class:`RegistryError` that says what is
available and what to install; nothing falls back silently.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

__all__ = ["SLOTS", "RegistryError", "available", "create", "resolve"]

SLOTS = ("store", "broker", "router", "translator", "dispatcher", "report_sink", "directory")

# Built-in backends that need an optional extra, and the extra to install.
_EXTRAS = {
    ("store", "postgres"): "postgres",
    ("broker", "redis"): "redis",
    ("translator", "libretranslate"): "translate",
}


class RegistryError(ValueError):
    """A backend could not be found, imported or configured; the message says how to fix it."""


def _group(slot: str) -> str:
    if slot not in SLOTS:
        raise RegistryError(f"unknown backend slot {slot!r}; slots are {', '.join(SLOTS)}")
    return f"pnav.{slot}"


def available(slot: str) -> list[str]:
    """Short names registered for a slot (by pnav and by installed plugins)."""
    return sorted({ep.name for ep in entry_points(group=_group(slot))})


def _hint(slot: str, name: str) -> str:
    extra = _EXTRAS.get((slot, name))
    return f" (install it with: pip install 'pnav[{extra}]')" if extra else ""


def resolve(slot: str, spec: str) -> type[Any]:
    """The class for a short name or ``module:Class``."""
    group = _group(slot)
    try:
        if ":" in spec:
            module_name, _, attr = spec.partition(":")
            obj: Any = getattr(importlib.import_module(module_name), attr)
        else:
            matches = [ep for ep in entry_points(group=group) if ep.name == spec]
            if not matches:
                names = ", ".join(available(slot)) or "none"
                raise RegistryError(
                    f"no {slot} backend named {spec!r}; available: {names} (or give module:Class)"
                )
            obj = matches[0].load()
    except RegistryError:
        raise
    except ImportError as exc:
        raise RegistryError(
            f"the {slot} backend {spec!r} cannot be imported: {exc}{_hint(slot, spec)}"
        ) from exc
    except AttributeError as exc:
        raise RegistryError(f"the {slot} backend {spec!r} does not exist: {exc}") from exc
    if not isinstance(obj, type):
        raise RegistryError(f"the {slot} backend {spec!r} is not a class")
    return obj


def create(
    slot: str,
    spec: str,
    options: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    base: type[Any] | None = None,
) -> Any:
    """An instance of the backend, checked against the slot's base class."""
    cls = resolve(slot, spec)
    if base is not None and not issubclass(cls, base):
        raise RegistryError(
            f"the {slot} backend {spec!r} ({cls.__module__}.{cls.__qualname__}) is not a "
            f"{base.__module__}.{base.__qualname__}"
        )
    opts = dict(options or {})
    try:
        factory = getattr(cls, "from_options", None)
        if callable(factory):
            return factory(opts, dict(context or {}))
        return cls(**opts)
    except (TypeError, ValueError) as exc:
        raise RegistryError(f"bad options for the {slot} backend {spec!r}: {exc}") from exc
