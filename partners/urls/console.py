"""City administrators' pages for invitation requests and invitations,
under ``manage/`` inside the ``city`` namespace."""

from django.urls import path

from partners.views import console

urlpatterns = [
    path(
        "requests/",
        console.InvitationRequestListView.as_view(),
        name="invitation_requests",
    ),
    path(
        "requests/<int:pk>/",
        console.InvitationRequestDetailView.as_view(),
        name="invitation_request",
    ),
    path(
        "invitations/",
        console.InvitationListView.as_view(),
        name="invitations",
    ),
    path(
        "invitations/new/",
        console.InvitationCreateView.as_view(),
        name="invitation_create",
    ),
    path(
        "invitations/<int:pk>/resend/",
        console.InvitationActionView.as_view(action="resend"),
        name="invitation_resend",
    ),
    path(
        "invitations/<int:pk>/revoke/",
        console.InvitationActionView.as_view(action="revoke"),
        name="invitation_revoke",
    ),
]
