"""Paging shared by every app's numbered lists (below invoices, which
pages its own lists by keyset: ``invoices.paging``)."""


class NumberedPageMixin:
    """For a ``ListView`` paged by number: a page past the end (a link kept
    while rows went, a number typed in) shows the last page, and one that
    is not a number (or below 1) the first, instead of Django's 404."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(
            queryset,
            page_size,
            orphans=self.get_paginate_orphans(),
            allow_empty_first_page=self.get_allow_empty(),
        )
        number = self.kwargs.get(self.page_kwarg) or self.request.GET.get(
            self.page_kwarg
        )
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = paginator.num_pages if number == "last" else 1
        page = paginator.get_page(number)
        return paginator, page, page.object_list, page.has_other_pages()
