"""The out-of-tree example plugin (examples/custom_backend) installs, is found by its
short name, and passes the router contract suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pnav.sdk import registry
from pnav.server import Settings, create_app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_backend"


def test_the_plugin_is_registered_by_its_entry_point() -> None:
    assert "round_robin" in registry.available("router"), (
        "install the example plugin: pip install -e examples/custom_backend (scripts/setup.sh does)"
    )


def test_settings_select_it_by_short_name(tmp_path) -> None:
    settings = Settings.load(
        None,
        environ={"PNAV_ROUTER": "round_robin", "PNAV_ROUTER_OPTIONS": '{"capacity": 2}'},
        data_dir=tmp_path,
    )
    app = create_app(settings, maintenance=False)
    router = app.extensions["pnav"].chat.routing.router
    assert type(router).__module__ == "pnav_example_router" and router.capacity == 2
    app.extensions["pnav"].shutdown()


def test_the_plugin_passes_its_contract_suite() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=EXAMPLE,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout
