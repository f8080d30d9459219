"""``{% pnav_banner %}``: the pnav snippet, with the page's CSP nonce (see pnav.sdk.django)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.safestring import SafeString, mark_safe

from pnav.sdk.embed import EmbedError, embed_snippet

register = template.Library()

_OPTIONS = ("lang", "exit_url", "launcher", "nonce")


def _nonce(context: template.Context) -> str | None:
    # A RequestContext (render(request, ...)) carries the request itself.
    request = getattr(context, "request", None) or context.get("request")
    nonce = context.get("csp_nonce") or getattr(request, "csp_nonce", None)
    return str(nonce) if nonce else None


@register.simple_tag(takes_context=True)
def pnav_banner(context: template.Context, **overrides: Any) -> SafeString:
    config = getattr(settings, "PNAV", None)
    if not isinstance(config, dict) or not config.get("server_url") or not config.get("partner"):
        raise ImproperlyConfigured(
            'settings.PNAV must be a dict with "server_url" and "partner" for {% pnav_banner %}'
        )
    unknown = sorted(set(overrides) - set(_OPTIONS))
    if unknown:
        raise template.TemplateSyntaxError(f"pnav_banner: unknown option {', '.join(unknown)}")
    options = {k: config[k] for k in _OPTIONS if config.get(k)}
    options.update(overrides)
    options.setdefault("nonce", _nonce(context))
    try:
        snippet = embed_snippet(config["server_url"], config["partner"], **options)
    except EmbedError as exc:
        raise ImproperlyConfigured(f"settings.PNAV: {exc}") from exc
    # embed_snippet escapes every attribute value.
    return mark_safe(snippet)  # noqa: S308
