"""City staff pages for invoices, inside the ``city`` namespace."""

from django.urls import path

from invoices.views import city

urlpatterns = [
    path("<int:pk>/", city.InvoiceDetailView.as_view(), name="invoice"),
]
