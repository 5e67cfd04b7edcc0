"""Links to many objects of one route, reversed once per page: a
``reverse()`` (or ``{% url %}``) per row and link was a large share of the
treasury lists' time."""

from django.urls import reverse


class PkLinks:
    """The URL of route ``name`` for any ``pk``, from the one of pk 0 (the
    routes' ``<int:pk>`` is a path segment of its own)."""

    def __init__(self, name: str, **kwargs):
        url = reverse(name, kwargs={**kwargs, "pk": 0})
        head, _, tail = url.rpartition("/0/")
        self.head, self.tail = f"{head}/", f"/{tail}"

    def __call__(self, pk: int) -> str:
        return f"{self.head}{pk}{self.tail}"
