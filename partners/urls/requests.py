"""Public pages of a municipality: the invitation-request form."""

from django.urls import path

from partners.views import invitation_requests

app_name = "public"

urlpatterns = [
    path(
        "request/",
        invitation_requests.InvitationRequestView.as_view(),
        name="invitation_request",
    ),
    path(
        "request/done/",
        invitation_requests.InvitationRequestDoneView.as_view(),
        name="invitation_request_done",
    ),
]
