"""The treasury's pages in the municipality, inside the ``city``
namespace."""

from django.urls import path

from municipality.treasury.views import batches, budget_codes, city as views, payees

urlpatterns = [
    path("treasury/", views.TreasuryView.as_view(), name="treasury"),
    path(
        "treasury/payables/",
        views.PayablesView.as_view(),
        name="payables",
    ),
    path(
        "treasury/payables/<int:pk>/payee/",
        payees.PayeeView.as_view(),
        name="invoice_payee",
    ),
    path(
        "treasury/payables/<int:pk>/budget-code/",
        budget_codes.PayableBudgetCodeView.as_view(),
        name="invoice_budget_code",
    ),
    path("treasury/batches/", batches.BatchListView.as_view(), name="batches"),
    path(
        "treasury/batches/<int:pk>/",
        batches.BatchDetailView.as_view(),
        name="batch",
    ),
    path(
        "treasury/batches/<int:pk>/remove/",
        batches.BatchActionView.as_view(action="remove"),
        name="batch_remove",
    ),
    path(
        "treasury/batches/<int:pk>/approve/",
        batches.BatchDecisionView.as_view(action="approve"),
        name="batch_approve",
    ),
    path(
        "treasury/batches/<int:pk>/export/",
        batches.BatchDecisionView.as_view(action="export"),
        name="batch_export",
    ),
    path(
        "treasury/batches/<int:pk>/paid/",
        batches.BatchDecisionView.as_view(action="paid"),
        name="batch_paid",
    ),
    path(
        "treasury/batches/<int:pk>/cancel/",
        batches.BatchDecisionView.as_view(action="cancel"),
        name="batch_cancel",
    ),
    path(
        "treasury/batches/<int:pk>/zengin/",
        batches.BatchZenginView.as_view(),
        name="batch_zengin",
    ),
    path(
        "treasury/batches/<int:pk>/accounting.csv",
        batches.BatchAccountingCsvView.as_view(),
        name="batch_accounting_csv",
    ),
    path(
        "treasury/batches/<int:pk>/remittance/",
        batches.BatchRemittanceExportView.as_view(),
        name="batch_remittance_export",
    ),
    path(
        "treasury/remittance/",
        views.RemittancePeriodExportView.as_view(),
        name="remittance_export",
    ),
    path(
        "treasury/withholding/",
        views.WithholdingStatementView.as_view(),
        name="withholding_statement",
    ),
    path(
        "treasury/withholding/statement.csv",
        views.WithholdingStatementCsvView.as_view(),
        name="withholding_statement_csv",
    ),
    path(
        "manage/treasury-settings/",
        views.TreasurySettingsView.as_view(),
        name="treasury_settings",
    ),
]
