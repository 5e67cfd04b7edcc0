"""Supplier pages of the procurement app (``/supplier/orders/``)."""

from django.urls import path

from procurement.views import deliveries, supplier_orders

urlpatterns = [
    path("", supplier_orders.SupplierOrderListView.as_view(), name="orders"),
    path("<int:pk>/", supplier_orders.SupplierOrderDetailView.as_view(), name="order"),
    path(
        "<int:pk>/confirm/",
        supplier_orders.SupplierOrderConfirmView.as_view(),
        name="order_confirm",
    ),
    path(
        "<int:pk>/question/",
        supplier_orders.SupplierOrderQuestionView.as_view(),
        name="order_question",
    ),
    path(
        "<int:pk>/deliveries/new/",
        deliveries.DeliveryCreateView.as_view(),
        name="delivery_new",
    ),
    path(
        "<int:pk>/invoice/", deliveries.OrderInvoiceView.as_view(), name="order_invoice"
    ),
    path(
        "deliveries/import/",
        deliveries.DeliveryImportView.as_view(),
        name="delivery_import",
    ),
    path(
        "deliveries/<int:pk>/",
        deliveries.SupplierDeliveryDetailView.as_view(),
        name="delivery",
    ),
    path(
        "deliveries/<int:pk>/pdf/",
        deliveries.SupplierDeliveryPdfView.as_view(),
        name="delivery_pdf",
    ),
]
