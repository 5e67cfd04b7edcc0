"""City pages of the municipality app, inside the ``city`` namespace
that config/urls.py puts together."""

from django.urls import path

from municipality import views

urlpatterns = [
    path("manage/audit/", views.AuditLogView.as_view(), name="audit_log"),
]
