"""City pages of the procurement app (``/m/<slug>/procurement/``)."""

from django.urls import path

from procurement.views import budget, city_orders, deliveries

urlpatterns = [
    path("budget-codes/", budget.BudgetCodeListView.as_view(), name="budget_codes"),
    path(
        "budget-codes/new/",
        budget.BudgetCodeFormView.as_view(),
        name="budget_code_new",
    ),
    path(
        "budget-codes/<int:pk>/",
        budget.BudgetCodeFormView.as_view(),
        name="budget_code_edit",
    ),
    path(
        "budget-codes/import/",
        budget.BudgetCodeImportView.as_view(),
        name="budget_code_import",
    ),
    path("orders/", city_orders.OrderListView.as_view(), name="orders"),
    path("orders/new/", city_orders.OrderFormView.as_view(), name="order_new"),
    path("orders/import/", city_orders.OrderImportView.as_view(), name="order_import"),
    path("orders/<int:pk>/", city_orders.OrderDetailView.as_view(), name="order"),
    path(
        "orders/<int:pk>/edit/", city_orders.OrderFormView.as_view(), name="order_edit"
    ),
    path(
        "orders/<int:pk>/send/", city_orders.OrderSendView.as_view(), name="order_send"
    ),
    path(
        "orders/<int:pk>/cancel/",
        city_orders.OrderCancelView.as_view(),
        name="order_cancel",
    ),
    path(
        "orders/<int:pk>/complete/",
        city_orders.OrderCompleteView.as_view(),
        name="order_complete",
    ),
    path(
        "orders/<int:pk>/answer/",
        city_orders.OrderAnswerView.as_view(),
        name="order_answer",
    ),
    path("inspections/", deliveries.InspectionListView.as_view(), name="inspections"),
    path(
        "deliveries/<int:pk>/",
        deliveries.CityDeliveryDetailView.as_view(),
        name="delivery",
    ),
    path(
        "deliveries/<int:pk>/inspect/",
        deliveries.DeliveryInspectView.as_view(),
        name="delivery_inspect",
    ),
    path(
        "deliveries/<int:pk>/pdf/",
        deliveries.CityDeliveryPdfView.as_view(),
        name="delivery_pdf",
    ),
]
