"""The casework slots' public names, and their built-ins registered like any plugin."""

from __future__ import annotations

import importlib
import inspect

import pytest

from pnav.sdk import casework, registry

BUILT_INS = {
    "translator": ({"none", "libretranslate", "memory"}, casework.Translator),
    "directory": ({"csv", "memory"}, casework.Directory),
    "dispatcher": ({"webhook", "smtp", "log", "memory"}, casework.Dispatcher),
    "report_sink": ({"webhook", "folder", "email", "memory"}, casework.ReportSink),
}


@pytest.mark.parametrize("slot", sorted(BUILT_INS))
def test_built_ins_register_through_the_entry_point_group(slot: str) -> None:
    names, base = BUILT_INS[slot]
    assert names <= set(registry.available(slot))
    for name in names:
        assert issubclass(registry.resolve(slot, name), base)


@pytest.mark.parametrize(
    "module",
    [
        "casework",
        "translator",
        "directory",
        "dispatcher",
        "report_sink",
        "signing",
        "outcome",
        "opening_hours",
        "testing.casework",
    ],
)
def test_all_names_what_the_module_exports(module: str) -> None:
    mod = importlib.import_module(f"pnav.sdk.{module}")
    for name in mod.__all__:
        assert hasattr(mod, name), name
    defined = {
        name
        for name, obj in vars(mod).items()
        if not name.startswith("_")
        and (inspect.isclass(obj) or inspect.isfunction(obj))
        and obj.__module__ == mod.__name__
    }
    assert defined <= set(mod.__all__)


def test_an_unknown_backend_name_lists_the_built_ins() -> None:
    with pytest.raises(registry.RegistryError, match="available: email, folder, memory, webhook"):
        registry.create("report_sink", "fax")
