from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.urls import Resolver404, resolve
from django_scopes import scope, scopes_disabled

from municipality.models import Municipality
from municipality.tenancy import city_access_for
from partners.selectors import supplier_access_for

_AREAS = ("city", "supplier", "public", "admin")


class TenantScopeMiddleware:
    """Runs every request in the django-scopes scope its URL belongs to.

    - ``/m/<slug>/…`` (URL namespace ``city``): the user must hold a staff
      role in that municipality; the scope is that municipality.
    - ``/supplier/…`` (namespace ``supplier``): the user must belong to a
      supplier; the scope is the municipalities it works with.
    - ``/p/<slug>/…`` (namespace ``public``): pages anyone may open, such as
      the invitation-request form; the scope is that municipality.
    - the Django admin runs with scopes disabled (platform admins only).
    - anything else runs with no scope, so a scoped query there fails loudly.

    What is not granted answers 404, so nobody learns what exists. The view
    and the rendering of its template both run inside the scope.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        area = next(
            (name for name in match.app_names if name in _AREAS),
            None,
        )
        if area == "admin":
            with scopes_disabled():
                return self.get_response(request)
        if area is None:
            return self.get_response(request)
        if area == "public":
            municipality = Municipality.objects.filter(
                slug=match.kwargs["municipality_slug"], is_active=True
            ).first()
            if municipality is None:
                raise Http404
            request.public_municipality = municipality
            with scope(municipality=municipality.pk):
                return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if area == "city":
            access = city_access_for(request.user, match.kwargs["municipality_slug"])
            if access is None:
                raise Http404
            request.city = access
            with scope(municipality=access.municipality.pk):
                return self.get_response(request)
        access = supplier_access_for(request.user)
        if access is None:
            raise Http404
        request.supplier_access = access
        with scope(municipality=list(access.municipality_ids)):
            return self.get_response(request)
