"""The link in a staff invitation email; it works before the reader has an
account."""

from django.urls import path

from municipality.console.accept import StaffInvitationAcceptView

app_name = "staff_invitations"

urlpatterns = [
    path("<str:token>/", StaffInvitationAcceptView.as_view(), name="accept"),
]
