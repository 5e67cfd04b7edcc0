"""How the matrix describes a URL name (``Entry``), and which of the world's
objects go into it for a role, and whether that role may open it."""

from dataclasses import dataclass, field

from django.urls import reverse

from tests.tenancy.roles import (
    DEPARTMENT,
    EVERYONE,
    KANOYA,
    KIRISHIMA,
    MEMBERS,
    NOWHERE,
    OWNER,
    ROLES,
    Obj,
    Role,
)
from tests.tenancy.world import World

# Entries --------------------------------------------------------------------

CITY, SUPPLIER, PUBLIC, TOKEN = "city", "supplier", "public", "token"
API = "api"


@dataclass(frozen=True)
class Entry:
    """How to test one URL name.

    ``families`` are the world's object families whose objects go into the
    URL (none: the URL names no object). ``roles`` are the role kinds the
    page is granted to, for the objects their memberships cover. Objects of
    the ``closed`` families go into the URL too, and nobody may open them
    (e.g. a draft on the city side). ``data`` is the POST body for views
    that take POST; ``query`` a query string the page needs.
    """

    side: str
    families: tuple[str, ...] = ()
    roles: frozenset[str] = frozenset()
    closed: tuple[str, ...] = ()
    data: dict = field(default_factory=dict)
    query: str = ""
    lists: tuple[str, ...] = ()
    method: str = ""  # the API's: the one method the operation takes


@dataclass(frozen=True)
class NoObject:
    """A URL the matrix knows and deliberately does not test: it names no
    object of ours (allauth's pages, the user's own account pages)."""

    reason: str


def _families(families) -> tuple[str, ...]:
    return (families,) if isinstance(families, str) else tuple(families)


def city(*families, roles, closed=(), data=None, query="", lists=()):
    """A page under ``/m/<municipality_slug>/``: tried with every object in
    both municipalities' URLs (and, without objects, an unknown slug).
    ``lists``: families whose objects the page lists; a granted page must
    show the role's own issued invoices and nothing it may not see."""
    return Entry(
        CITY,
        families,
        frozenset(roles),
        _families(closed),
        data or {},
        query,
        _families(lists),
    )


def supplier(*families, roles=MEMBERS, closed=(), data=None, query="", lists=()):
    """A page under ``/supplier/``; ``roles`` is ``{OWNER}`` for owner-only
    pages."""
    return Entry(
        SUPPLIER,
        families,
        frozenset(roles),
        _families(closed),
        data or {},
        query,
        _families(lists),
    )


def api(*families, method="get", data=None, lists=()):
    """An operation of the suppliers' REST API (``/api/v1/``), called with
    a key of the role's supplier (owners make keys; a key acts as its
    owner). Without a key the API answers 401; another supplier's object
    answers 404."""
    return Entry(
        API,
        families,
        frozenset({OWNER}),
        (),
        data or {},
        "",
        _families(lists),
        method,
    )


def public(data=None):
    """A public page of a municipality (anyone; 404 for an unknown slug)."""
    return Entry(PUBLIC, (), EVERYONE, (), data or {})


def token(family, *, closed):
    """A link from an email: the token is the only key. Anyone holding it
    opens the page; an unknown token answers 404; and nobody but the
    invited person changes anything by POSTing to it."""
    return Entry(TOKEN, (family,), EVERYONE, _families(closed))


def no_object(reason: str) -> NoObject:
    return NoObject(reason)


@dataclass(frozen=True)
class Target:
    url: str
    label: str
    slug: str
    allowed: frozenset[str]  # role names that may open it


def _city_may(role: Role, obj: Obj | None, slug: str) -> bool:
    if role.city != slug:
        return False
    if obj is None:
        return True
    if obj.city != slug:
        return False
    return (
        role.kind != DEPARTMENT
        or not obj.department
        or (obj.department == role.department)
    )


def area_refuses(entry: Entry, role: Role, slug: str) -> bool:
    """Whether the tenancy middleware refuses ``role`` the whole URL, before
    any object is looked up (another municipality's area, the supplier area
    for non-members)."""
    if entry.side == CITY:
        return role.city != slug
    if entry.side == SUPPLIER:
        return role.kind not in MEMBERS
    if entry.side == API:
        return role.kind != OWNER
    return False


def listing_problems(entry, role_name, slug, content: str, world) -> list[str]:
    """What a granted page that lists ``entry.lists`` shows wrongly: an
    object the role may not see, or one of its own issued ones missing."""
    role = ROLES[role_name]
    problems = []
    for family in entry.lists:
        for obj in world.objects[family]:
            visible = _may(entry, role, obj, slug)
            if not visible and obj.marker in content:
                problems.append(f"shows {obj.label} ({obj.marker})")
            own_invoice = family in ("invoice", "api_invoice")
            if visible and own_invoice and obj.marker not in content:
                problems.append(f"does not show its own {obj.label} ({obj.marker})")
    return problems


def _may(entry: Entry, role: Role, obj: Obj | None, slug: str) -> bool:
    if role.kind not in entry.roles:
        return False
    if obj is not None and obj.requester and ROLES[obj.requester] != role:
        return False
    if entry.side in (PUBLIC, TOKEN):
        return True
    if entry.side == API:
        return obj is None or obj.supplier == role.supplier
    if entry.side == CITY:
        return _city_may(role, obj, slug)
    return obj is None or obj.supplier == role.supplier


def targets(name: str, entry: Entry, world: "World", params: frozenset[str]):
    """Every URL of ``name`` the matrix tries, with who may open each."""
    slugs = [""]
    if "municipality_slug" in params:
        slugs = [KANOYA, KIRISHIMA] + ([] if entry.families else [NOWHERE])
    objects = [(obj, True) for f in entry.families for obj in world.objects[f]]
    objects += [(obj, False) for f in entry.closed for obj in world.objects[f]]
    if not objects:
        objects = [(None, True)]
    result = []
    for slug in slugs:
        for obj, open_ in objects:
            kwargs = dict(obj.kwargs) if obj else {}
            if slug:
                kwargs["municipality_slug"] = slug
            if set(kwargs) != params:
                raise AssertionError(
                    f"{name} takes {sorted(params)} but its matrix entry gives "
                    f"{sorted(kwargs)}: fix the entry's families."
                )
            url = reverse(name, kwargs=kwargs)
            if entry.query:
                url = f"{url}?{entry.query}"
            allowed = frozenset(
                role_name
                for role_name, role in ROLES.items()
                if open_
                and slug != NOWHERE
                and (obj is not None or entry.side != TOKEN)
                and _may(entry, role, obj, slug)
            )
            label = f"{obj.label if obj else '-'} @ {slug or '-'}"
            result.append(Target(url, label, slug, allowed))
    return result
