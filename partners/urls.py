from django.urls import path

from partners.views import home

app_name = "supplier"

urlpatterns = [
    path("", home.SupplierHomeView.as_view(), name="home"),
]
