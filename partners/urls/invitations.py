"""Links in invitation emails; they work before the reader has an account."""

from django.urls import path

from partners.views import invitation_accept, member_invitations

app_name = "invitations"

urlpatterns = [
    path("<str:token>/", invitation_accept.invitation_accept_view, name="accept"),
    path(
        "member/<str:token>/",
        member_invitations.MemberInvitationAcceptView.as_view(),
        name="member_accept",
    ),
]
