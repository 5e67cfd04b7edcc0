from django.urls import path

from partners import views

app_name = "supplier"

urlpatterns = [
    path("", views.SupplierHomeView.as_view(), name="home"),
]
