"""City pages of the municipality app, inside the ``city`` namespace
that config/urls.py puts together."""

from django.urls import path

from municipality import views

urlpatterns = [
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path(
        "inbox/<str:code>/",
        views.DepartmentDetailView.as_view(),
        name="department",
    ),
    path("manage/", views.ManageView.as_view(), name="manage"),
    path("manage/audit/", views.AuditLogView.as_view(), name="audit_log"),
]
