"""The backend registry: names, module:Class paths, options, and clear errors."""

from __future__ import annotations

import json

import pytest

from pnav.sdk import registry
from pnav.sdk.store import Store
from pnav.server import Settings, create_app
from pnav.server.settings import SettingsError
from pnav.server.stores.sqlite.store import SQLiteStore
from pnav.server.web.app import open_store


def test_built_in_stores_register_through_the_entry_point_group() -> None:
    assert {"sqlite", "postgres", "memory"} <= set(registry.available("store"))


def test_an_unknown_name_lists_what_is_available() -> None:
    with pytest.raises(registry.RegistryError) as err:
        registry.create("store", "cassandra")
    assert "no store backend named 'cassandra'" in str(err.value)
    assert "sqlite" in str(err.value) and "module:Class" in str(err.value)


def test_an_unknown_slot_is_refused() -> None:
    with pytest.raises(registry.RegistryError, match="slots are"):
        registry.available("teleporter")


def test_a_module_path_bad_options_and_a_wrong_base_are_explained(tmp_path) -> None:
    store = registry.create(
        "store",
        "pnav.server.stores.sqlite.store:SQLiteStore",
        {"path": tmp_path / "x.db"},
        base=Store,
    )
    assert isinstance(store, SQLiteStore)
    store.close()
    with pytest.raises(registry.RegistryError, match="cannot be imported"):
        registry.create("store", "pnav.no_such_module:Store")
    with pytest.raises(registry.RegistryError, match="does not exist"):
        registry.create("store", "pnav.server.stores.sqlite.store:NoSuchStore")
    with pytest.raises(registry.RegistryError, match=r"is not a pnav\.sdk\.store\.Store"):
        registry.create("store", "collections:OrderedDict", base=Store)
    with pytest.raises(registry.RegistryError, match=r"bad options.*colour"):
        registry.create("store", "sqlite", {"colour": "blue"}, {"database_path": tmp_path / "y"})


def test_settings_pick_the_store_and_an_instance_wins(tmp_path) -> None:
    settings = Settings.load(None, environ={"PNAV_STORE": "memory"}, data_dir=tmp_path)
    store = open_store(settings)
    assert type(store).__name__ == "MemoryStore"
    app = create_app(settings, maintenance=False)
    assert type(app.extensions["pnav"].store).__name__ == "MemoryStore"
    given = SQLiteStore(tmp_path / "given.db")
    app = create_app(settings, store=given, maintenance=False)
    assert app.extensions["pnav"].store is given
    given.close()


def test_bad_store_settings_stop_start_up(tmp_path) -> None:
    with pytest.raises(SettingsError, match="JSON"):
        Settings.load(None, environ={"PNAV_STORE_OPTIONS": "{nope"}, data_dir=tmp_path)
    with pytest.raises(SettingsError, match="store_options"):
        Settings.load(None, environ={}, data_dir=tmp_path, store_options=["x"])
    settings = Settings.load(None, environ={}, data_dir=tmp_path, store="nope")
    with pytest.raises(registry.RegistryError):
        create_app(settings, maintenance=False)


def test_settings_pick_every_casework_backend(tmp_path) -> None:
    env = {
        "PNAV_TRANSLATOR": "libretranslate",
        "PNAV_TRANSLATOR_OPTIONS": '{"url": "http://127.0.0.1:9/", "allow_http": true}',
        "PNAV_DISPATCHER": "log",
        "PNAV_REPORT_SINK": "folder",
        "PNAV_REPORT_SINK_OPTIONS": json.dumps({"folder": str(tmp_path / "reports")}),
    }
    settings = Settings.load(None, environ=env, data_dir=tmp_path)
    app = create_app(settings, maintenance=False)
    casework = app.extensions["pnav"].casework
    assert type(casework.translator.inner).__name__ == "LibreTranslateTranslator"
    assert type(casework.directory).__name__ == "CsvDirectory"
    assert type(casework.dispatcher.inner).__name__ == "LogDispatcher"
    assert type(casework.report_sink.inner).__name__ == "FolderReportSink"
    app.extensions["pnav"].shutdown()
    # Defaults: no translation, the national numbers, no dispatcher or sink configured.
    app = create_app(Settings.load(None, environ={}, data_dir=tmp_path), maintenance=False)
    casework = app.extensions["pnav"].casework
    assert casework.dispatcher is None and casework.report_sink is None
    app.extensions["pnav"].shutdown()
    with pytest.raises(registry.RegistryError, match="bad options"):
        create_app(
            Settings.load(None, environ={"PNAV_DISPATCHER": "webhook"}, data_dir=tmp_path),
            maintenance=False,
        )
