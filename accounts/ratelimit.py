"""A fixed-window counter in the cache, for public forms."""

from django.core.cache import cache


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
