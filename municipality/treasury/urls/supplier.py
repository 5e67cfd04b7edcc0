"""The suppliers' payment notices, inside the ``supplier`` namespace."""

from django.urls import path

from municipality.treasury.views import reconciliation, supplier as payment_notices

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
urlpatterns += [
    path(
        "reconciliations/",
        reconciliation.ReconciliationListView.as_view(),
        name="reconciliations",
    ),
    path(
        "reconciliations/<int:pk>/",
        reconciliation.ReconciliationDetailView.as_view(),
        name="reconciliation",
    ),
    path(
        "reconciliations/<int:pk>/credits/<int:credit_pk>/",
        reconciliation.CreditDecideView.as_view(),
        name="reconciliation_credit",
    ),
    path(
        "reconciliations/<int:pk>/result.csv",
        reconciliation.ReconciliationCsvView.as_view(),
        name="reconciliation_csv",
    ),
]
