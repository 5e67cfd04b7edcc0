"""A JSON invoice through the entry screen's own forms (``InvoiceForm``,
``LineFormSet``), so that the API accepts and refuses exactly what the
screen does, with the same Japanese messages, named by field path."""

from api.errors import BAD_INPUT, ApiError
from api.schemas import InvoiceIn
from invoices.forms import InvoiceForm, LineFormSet
from partners.models import Supplier

# The screen's field names, as the API names them.
_FIELD_NAMES = {"connection": "department"}


def _form_data(payload: InvoiceIn) -> dict:
    data = {
        "connection": str(payload.department),
        "number": payload.number,
        "issue_date": payload.issue_date.isoformat(),
        "transaction_date": payload.transaction_date.isoformat(),
        "transaction_end_date": (
            payload.transaction_end_date.isoformat()
            if payload.transaction_end_date
            else ""
        ),
        "due_date": payload.due_date.isoformat() if payload.due_date else "",
        "subject": payload.subject,
        "order_number": payload.order_number,
        "notes": payload.notes,
        "price_basis": payload.price_basis,
        "withholding_kind": payload.withholding_kind,
        "lines-TOTAL_FORMS": str(len(payload.lines)),
        "lines-INITIAL_FORMS": "0",
    }
    for index, line in enumerate(payload.lines):
        prefix = f"lines-{index}-"
        data |= {
            f"{prefix}description": line.description,
            f"{prefix}quantity": str(line.quantity),
            f"{prefix}unit_price": str(line.unit_price),
            f"{prefix}tax_category": line.tax_category,
            f"{prefix}unit": line.unit,
            f"{prefix}note": line.note,
            f"{prefix}ORDER": str(index + 1),
        }
        if line.withholding:
            data[f"{prefix}withholding"] = "on"
    return data


def draft_forms(*, supplier: Supplier, payload: InvoiceIn):
    """The valid header form and line formset of ``payload``; raises
    ``ApiError`` (422) with every field's problems otherwise."""
    data = _form_data(payload)
    form = InvoiceForm(data, {}, supplier=supplier, invoice=None)
    formset = LineFormSet(
        data, prefix="lines", withholding=supplier.is_individual, extra_rows=0
    )
    if all([form.is_valid(), formset.is_valid()]):
        return form, formset
    errors = [
        {
            "field": _FIELD_NAMES.get(name, name) if name != "__all__" else None,
            "message": message,
        }
        for name, messages in form.errors.items()
        for message in messages
    ]
    for index, line_form in enumerate(formset.forms):
        errors += [
            {
                "field": f"lines.{index}.{name}"
                if name != "__all__"
                else f"lines.{index}",
                "message": message,
            }
            for name, messages in line_form.errors.items()
            for message in messages
        ]
    errors += [{"field": "lines", "message": m} for m in formset.non_form_errors()]
    raise ApiError(422, str(BAD_INPUT), errors)
