from __future__ import annotations

import pytest

import pnav.sdk
from pnav.sdk import EmbedError, embed_snippet


def test_snippet_loads_the_loader_with_escaped_options() -> None:
    html = embed_snippet(
        "https://chat.example.org/",
        "town-hall",
        lang="en",
        exit_url='https://x.example/?a=1&b="2"',
        nonce="r4nd0m+N0nce/==",
        launcher='a[href="#talk"], .help-button',
    )
    assert html.startswith(
        '<script src="https://chat.example.org/widget/loader.js?partner=town-hall&amp;lang=en"'
    )
    # The browser then sends the page's Origin with the loader's request.
    assert ' crossorigin="anonymous"' in html
    assert ' nonce="r4nd0m+N0nce/=="' in html
    assert 'data-pnav-exit="https://x.example/?a=1&amp;b=&quot;2&quot;"' in html
    assert 'data-pnav-launcher="a[href=&quot;#talk&quot;], .help-button"' in html
    assert html.endswith(" async></script>")
    assert "\n" not in html


def test_the_partners_settings_decide_what_the_snippet_leaves_out() -> None:
    html = embed_snippet("https://chat.example.org", "town-hall")
    assert html == (
        '<script src="https://chat.example.org/widget/loader.js?partner=town-hall" '
        'crossorigin="anonymous" async></script>'
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"server_url": "chat.example.org", "partner": "p"},
        {"server_url": "https://c.example", "partner": "bad id"},
        {"server_url": "https://c.example", "partner": "p", "lang": "français"},
        {"server_url": "https://c.example", "partner": "p", "exit_url": "javascript:alert(1)"},
        {"server_url": "https://c.example", "partner": "p", "nonce": 'a"><script>'},
        {"server_url": "https://c.example", "partner": "p", "nonce": "short"},
        {"server_url": "https://c.example", "partner": "p", "launcher": " "},
        {"server_url": "https://c.example", "partner": "p", "launcher": "a" * 201},
    ],
)
def test_bad_options_are_refused(kwargs) -> None:
    with pytest.raises(EmbedError):
        embed_snippet(**kwargs)


def test_public_names() -> None:
    assert sorted(pnav.sdk.__all__) == ["EmbedError", "embed_snippet"]
    for name in pnav.sdk.__all__:
        assert hasattr(pnav.sdk, name)
