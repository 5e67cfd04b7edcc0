"""The walk over the URL resolver: every pattern with its parameters and
the methods its view answers."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# The resolver ---------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    route: str
    params: frozenset[str]
    methods: frozenset[str]  # of "get" and "post"


def _params(pattern) -> set[str]:
    # Route and regex patterns alike compile to a regex with named groups.
    return set(pattern.regex.groupindex)


def _methods(callback) -> frozenset[str]:
    view_class = getattr(callback, "view_class", None)
    if view_class is None:
        # A function view: assume it answers both, like most do.
        return frozenset({"get", "post"})
    return frozenset(
        m
        for m in ("get", "post")
        if m in view_class.http_method_names and hasattr(view_class, m)
    )


def url_patterns(resolver=None, prefix="", namespace="", params=frozenset()):
    """Every URL pattern the resolver knows, by name (``namespace:name``;
    an unnamed pattern under its route), with the parameters it takes."""
    resolver = resolver or get_resolver()
    found = {}
    for item in resolver.url_patterns:
        route = prefix + str(item.pattern)
        item_params = params | _params(item.pattern)
        if isinstance(item, URLResolver):
            ns = namespace
            if item.namespace:
                ns = f"{namespace}{item.namespace}:"
            found |= url_patterns(item, route, ns, item_params)
        elif isinstance(item, URLPattern):
            name = f"{namespace}{item.name or f'(unnamed) {route}'}"
            found.setdefault(
                name, Pattern(route, frozenset(item_params), _methods(item.callback))
            )
    return found
