"""The city administrator's staff and department pages, under ``manage/``
inside the ``city`` namespace."""

from django.urls import path

from municipality.console import departments, staff

urlpatterns = [
    path("staff/", staff.StaffListView.as_view(), name="staff"),
    path("staff/invite/", staff.StaffInviteView.as_view(), name="staff_invite"),
    path("staff/<int:user_pk>/", staff.StaffEditView.as_view(), name="staff_edit"),
    path(
        "staff/<int:user_pk>/deactivate/",
        staff.StaffDeactivateView.as_view(),
        name="staff_deactivate",
    ),
    path(
        "staff/invitations/<int:pk>/resend/",
        staff.StaffInvitationActionView.as_view(action="resend"),
        name="staff_invitation_resend",
    ),
    path(
        "staff/invitations/<int:pk>/revoke/",
        staff.StaffInvitationActionView.as_view(action="revoke"),
        name="staff_invitation_revoke",
    ),
    path("departments/", departments.DepartmentListView.as_view(), name="departments"),
    path(
        "departments/new/",
        departments.DepartmentCreateView.as_view(),
        name="department_create",
    ),
    path(
        "departments/export.csv",
        departments.DepartmentExportView.as_view(),
        name="department_export",
    ),
    path(
        "departments/import/",
        departments.DepartmentImportView.as_view(),
        name="department_import",
    ),
    path(
        "departments/<str:code>/edit/",
        departments.DepartmentEditView.as_view(),
        name="department_edit",
    ),
    path(
        "departments/<str:code>/deactivate/",
        departments.DepartmentDeactivateView.as_view(),
        name="department_deactivate",
    ),
    path(
        "departments/<str:code>/activate/",
        departments.DepartmentActivateView.as_view(),
        name="department_activate",
    ),
]
