"""The suppliers' payment notices, inside the ``supplier`` namespace."""

from django.urls import path

from municipality.treasury.views import supplier as payment_notices

urlpatterns = [
    path(
        "payment-notices/",
        payment_notices.PaymentNoticeListView.as_view(),
        name="payment_notices",
    ),
    path(
        "payment-notices/<int:pk>/",
        payment_notices.PaymentNoticeDetailView.as_view(),
        name="payment_notice",
    ),
    path(
        "payment-notices/<int:pk>/pdf/",
        payment_notices.PaymentNoticePdfView.as_view(),
        name="payment_notice_pdf",
    ),
    path(
        "payment-notices/<int:pk>/export/",
        payment_notices.PaymentNoticeExportView.as_view(),
        name="payment_notice_export",
    ),
    path(
        "payment-notices/export/",
        payment_notices.PaymentNoticePeriodExportView.as_view(),
        name="payment_notices_export",
    ),
]
