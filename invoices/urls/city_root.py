"""City pages of the invoices app at the root of the ``city`` namespace
(those under ``invoices/`` are in ``city.py``): the inbox, a department's
page and the administration overview."""

from django.urls import path

from invoices.views import inbox, manage

urlpatterns = [
    path("inbox/", inbox.InboxView.as_view(), name="inbox"),
    path(
        "inbox/<str:code>/",
        inbox.DepartmentDetailView.as_view(),
        name="department",
    ),
    path("manage/", manage.ManageView.as_view(), name="manage"),
]
