"""The municipality app's models, one module per concern."""

from municipality.models.accounting import InvoiceAccounting
from municipality.models.audit import (
    AuditChainHead,
    ChainScope,
    SettingsAction,
    SettingsEvent,
    SettingsEventKind,
)
from municipality.models.budget import LEVELS, BudgetCode
from municipality.models.departments import CYCLE_MESSAGE, Department
from municipality.models.municipality import Municipality
from municipality.models.reconciliation import (
    CreditOutcome,
    IncomingCredit,
    InvoicePaymentConfirmation,
    MatchMethod,
    Reconciliation,
    ReconciliationSource,
)
from municipality.models.staff import StaffInvitation, StaffMembership, StaffRole
from municipality.models.treasury import (
    BatchStatus,
    CsvEncoding,
    FeeBearer,
    LineEnding,
    PayeeChoice,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
    TreasurySettings,
)

__all__ = [
    "CYCLE_MESSAGE",
    "LEVELS",
    "AuditChainHead",
    "BatchStatus",
    "BudgetCode",
    "ChainScope",
    "CreditOutcome",
    "CsvEncoding",
    "Department",
    "FeeBearer",
    "IncomingCredit",
    "InvoiceAccounting",
    "InvoicePaymentConfirmation",
    "LineEnding",
    "MatchMethod",
    "Municipality",
    "PayeeChoice",
    "PaymentBatch",
    "PaymentBatchItem",
    "PaymentNotice",
    "Reconciliation",
    "ReconciliationSource",
    "SettingsAction",
    "SettingsEvent",
    "SettingsEventKind",
    "StaffInvitation",
    "StaffMembership",
    "StaffRole",
    "TreasurySettings",
]
