from django.urls import path

from partners.views import bank_accounts, home, members, profile

urlpatterns = [
    path("", home.SupplierHomeView.as_view(), name="home"),
    path("profile/", profile.ProfileView.as_view(), name="profile"),
    path("profile/edit/", profile.ProfileEditView.as_view(), name="profile_edit"),
    path("profile/seal/<str:name>/", profile.SealView.as_view(), name="seal"),
    path("members/", members.MemberListView.as_view(), name="members"),
    path("members/invite/", members.MemberInviteView.as_view(), name="member_invite"),
    path(
        "members/<int:pk>/role/", members.MemberRoleView.as_view(), name="member_role"
    ),
    path(
        "members/<int:pk>/remove/",
        members.MemberRemoveView.as_view(),
        name="member_remove",
    ),
    path(
        "members/invitations/<int:pk>/resend/",
        members.MemberInvitationResendView.as_view(),
        name="member_invitation_resend",
    ),
    path(
        "members/invitations/<int:pk>/revoke/",
        members.MemberInvitationRevokeView.as_view(),
        name="member_invitation_revoke",
    ),
    path(
        "bank-accounts/",
        bank_accounts.BankAccountListView.as_view(),
        name="bank_accounts",
    ),
    path(
        "bank-accounts/add/",
        bank_accounts.BankAccountAddView.as_view(),
        name="bank_account_add",
    ),
    path(
        "bank-accounts/<int:pk>/edit/",
        bank_accounts.BankAccountEditView.as_view(),
        name="bank_account_edit",
    ),
    path(
        "bank-accounts/<int:pk>/delete/",
        bank_accounts.BankAccountDeleteView.as_view(),
        name="bank_account_delete",
    ),
    path(
        "bank-accounts/<int:pk>/default/",
        bank_accounts.BankAccountDefaultView.as_view(),
        name="bank_account_default",
    ),
    path(
        "bank-accounts/lookup/",
        bank_accounts.BankLookupView.as_view(),
        name="bank_lookup",
    ),
]
