from __future__ import annotations

import pytest

import pnav.sdk
from pnav.sdk import EmbedError, embed_snippet


def test_snippet_loads_the_loader_with_escaped_options() -> None:
    html = embed_snippet(
        "https://chat.example.org/", "town-hall", lang="en", exit_url='https://x.example/?a=1&b="2"'
    )
    assert html.startswith('<script src="https://chat.example.org/widget/loader.js"')
    assert 'data-pnav-partner="town-hall"' in html
    assert 'data-pnav-lang="en"' in html
    assert 'data-pnav-exit="https://x.example/?a=1&amp;b=&quot;2&quot;"' in html
    assert html.endswith(" async></script>")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"server_url": "chat.example.org", "partner": "p"},
        {"server_url": "https://c.example", "partner": "bad id"},
        {"server_url": "https://c.example", "partner": "p", "lang": "français"},
        {"server_url": "https://c.example", "partner": "p", "exit_url": "javascript:alert(1)"},
    ],
)
def test_bad_options_are_refused(kwargs) -> None:
    with pytest.raises(EmbedError):
        embed_snippet(**kwargs)


def test_public_names() -> None:
    assert sorted(pnav.sdk.__all__) == ["EmbedError", "embed_snippet"]
    for name in pnav.sdk.__all__:
        assert hasattr(pnav.sdk, name)
