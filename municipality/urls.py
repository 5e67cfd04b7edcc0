from django.urls import include, path

from municipality import views
from partners.views import console

app_name = "city"

urlpatterns = [
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("invoices/", include("invoices.urls.city")),
    path("", include("peppol.urls.city")),
    path(
        "inbox/<str:code>/",
        views.DepartmentDetailView.as_view(),
        name="department",
    ),
    path("", include("municipality.treasury.urls")),
    path("manage/", views.ManageView.as_view(), name="manage"),
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
