from __future__ import annotations

import pytest

from pnav.server import Settings, SettingsError


def test_toml_then_environment_then_overrides(tmp_path) -> None:
    toml = tmp_path / "pnav.toml"
    toml.write_text(
        f'data_dir = "{tmp_path / "a"}"\n'
        'public_url = "https://chat.example.org"\n'
        '[partners.town]\norigins = ["https://Town.example/"]\n'
    )
    env = {"PNAV_DATA_DIR": str(tmp_path / "b"), "PNAV_PARTNERS": "school=https://s.example"}
    s = Settings.load(toml, environ=env, max_body_chars=100)
    assert s.data_dir == tmp_path / "b"
    assert s.partners == {"school": ("https://s.example",)}
    assert s.public_url == "https://chat.example.org"
    assert s.max_body_chars == 100
    assert (tmp_path / "b" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert Settings.load(toml, environ={}).partners == {"town": ("https://town.example",)}


def test_settings_are_frozen(tmp_path) -> None:
    s = Settings.load(None, environ={}, data_dir=tmp_path)
    with pytest.raises(AttributeError):
        s.public_url = "x"  # type: ignore[misc]


def test_secret_key_is_stable_across_loads(tmp_path) -> None:
    a = Settings.load(None, environ={}, data_dir=tmp_path)
    b = Settings.load(None, environ={}, data_dir=tmp_path)
    assert a.secret_key == b.secret_key and len(a.secret_key) == 64


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "data_dir is required"),
        ({"data_dir": ".", "colour": "red"}, "unknown settings: colour"),
        ({"data_dir": ".", "partners": {"p": []}}, "non-empty list of origins"),
        ({"data_dir": ".", "partners": {"p": ["ftp://x"]}}, "must look like"),
        ({"data_dir": ".", "partners": {"p": ["https://x.example/path"]}}, "must look like"),
    ],
)
def test_bad_settings_say_what_is_wrong(tmp_path, monkeypatch, raw, message) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError, match=message):
        Settings.load(None, environ={}, **raw)


def test_unreadable_toml_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("data_dir = ")
    with pytest.raises(SettingsError, match="cannot read settings file"):
        Settings.load(bad, environ={})
