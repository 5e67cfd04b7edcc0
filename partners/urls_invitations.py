"""Public URLs: the invitation-request form and invitation acceptance."""

from django.urls import path

from partners.views import invitation_accept

app_name = "invitations"

urlpatterns = [
    path("<str:token>/", invitation_accept.invitation_accept_view, name="accept"),
]
