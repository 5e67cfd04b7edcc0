from django.urls import include, path

from municipality import views, views_treasury
from partners.views import console

app_name = "city"

urlpatterns = [
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("invoices/", include("invoices.urls_city")),
    path("", include("peppol.urls_city")),
    path(
        "inbox/<str:code>/",
        views.DepartmentDetailView.as_view(),
        name="department",
    ),
    path("treasury/", views.TreasuryView.as_view(), name="treasury"),
    path("manage/", views.ManageView.as_view(), name="manage"),
    path(
        "treasury/payables/",
        views_treasury.PayablesView.as_view(),
        name="payables",
    ),
    path("treasury/batches/", views_treasury.BatchListView.as_view(), name="batches"),
    path(
        "treasury/batches/<int:pk>/",
        views_treasury.BatchDetailView.as_view(),
        name="batch",
    ),
    path(
        "treasury/batches/<int:pk>/remove/",
        views_treasury.BatchActionView.as_view(action="remove"),
        name="batch_remove",
    ),
    path(
        "treasury/batches/<int:pk>/approve/",
        views_treasury.BatchActionView.as_view(action="approve"),
        name="batch_approve",
    ),
    path(
        "treasury/batches/<int:pk>/export/",
        views_treasury.BatchActionView.as_view(action="export"),
        name="batch_export",
    ),
    path(
        "treasury/batches/<int:pk>/paid/",
        views_treasury.BatchActionView.as_view(action="paid"),
        name="batch_paid",
    ),
    path(
        "treasury/batches/<int:pk>/cancel/",
        views_treasury.BatchActionView.as_view(action="cancel"),
        name="batch_cancel",
    ),
    path(
        "treasury/batches/<int:pk>/zengin/",
        views_treasury.BatchZenginView.as_view(),
        name="batch_zengin",
    ),
    path(
        "treasury/batches/<int:pk>/accounting.csv",
        views_treasury.BatchAccountingCsvView.as_view(),
        name="batch_accounting_csv",
    ),
    path(
        "manage/treasury-settings/",
        views_treasury.TreasurySettingsView.as_view(),
        name="treasury_settings",
    ),
    path("manage/audit/", views.AuditLogView.as_view(), name="audit_log"),
    path(
        "manage/requests/",
        console.InvitationRequestListView.as_view(),
        name="invitation_requests",
    ),
    path(
        "manage/requests/<int:pk>/",
        console.InvitationRequestDetailView.as_view(),
        name="invitation_request",
    ),
    path(
        "manage/invitations/",
        console.InvitationListView.as_view(),
        name="invitations",
    ),
    path(
        "manage/invitations/new/",
        console.InvitationCreateView.as_view(),
        name="invitation_create",
    ),
    path(
        "manage/invitations/<int:pk>/resend/",
        console.InvitationActionView.as_view(action="resend"),
        name="invitation_resend",
    ),
    path(
        "manage/invitations/<int:pk>/revoke/",
        console.InvitationActionView.as_view(action="revoke"),
        name="invitation_revoke",
    ),
]
