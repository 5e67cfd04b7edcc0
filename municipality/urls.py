from django.urls import path

from municipality import views

app_name = "city"

urlpatterns = [
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path(
        "inbox/<str:code>/",
        views.DepartmentDetailView.as_view(),
        name="department",
    ),
    path("treasury/", views.TreasuryView.as_view(), name="treasury"),
    path("manage/", views.ManageView.as_view(), name="manage"),
]
