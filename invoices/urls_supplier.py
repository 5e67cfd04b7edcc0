"""Supplier pages for invoices, inside the ``supplier`` namespace."""

from django.urls import path

from invoices.views import supplier

urlpatterns = [
    path("<int:pk>/", supplier.InvoiceDetailView.as_view(), name="invoice"),
]
