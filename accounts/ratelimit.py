"""A fixed-window counter in the cache, for public forms, and the client
address that it and allauth's login limits count."""

import ipaddress

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of the client, as allauth's rate limits see it: with
    ``ALLAUTH_TRUSTED_PROXY_COUNT`` = N, the N-th from the right of
    ``X-Forwarded-For`` (what our own proxies saw), else ``REMOTE_ADDR``.
    Behind a proxy, ``REMOTE_ADDR`` is the proxy: counting it would let one
    client lock out everyone."""
    return get_adapter(request).get_client_ip(request)


def client_network(request: HttpRequest) -> str:
    """``client_ip``, with an IPv6 address cut to its network prefix
    (``ALLAUTH_RATE_LIMIT_IPV6_PREFIX``, /64 by default) as allauth does:
    one client holds a whole /64 and could rotate through it."""
    ip = client_ip(request)
    address = ipaddress.ip_address(ip)
    if address.version == 6:
        prefix = getattr(settings, "ALLAUTH_RATE_LIMIT_IPV6_PREFIX", 64)
        return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
    return ip


def rate_limit_exceeded(*, scope: str, key: str, limit: int, period: int) -> bool:
    """Count one attempt for ``key`` and say whether it went over ``limit``
    attempts within ``period`` seconds. Needs a shared cache (Redis) when
    several processes serve requests."""
    cache_key = f"ratelimit:{scope}:{key}"
    cache.add(cache_key, 0, timeout=period)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period)
        count = 1
    return count > limit
