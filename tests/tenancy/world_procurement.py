"""The world's orders and deliveries (procurement), for the matrix."""

from tests.tenancy.roles import KANOYA, KIRISHIMA


def _build_procurement(add, connections, suppliers, departments, city_of):
    """A budget code of each city; per connection a confirmed order with a
    delivery awaiting inspection; a draft order of each city."""
    from decimal import Decimal

    from municipality.models import StaffMembership, StaffRole
    from procurement.services.deliveries import DeliveryLineInput, delivery_record
    from procurement.services.orders import order_confirm
    from tests.procurement.conftest import make_budget_code, make_order

    codes = {}
    for slug in (KANOYA, KIRISHIMA):
        department = next(d for c, d in departments.items() if city_of[c] == slug)
        codes[slug] = make_budget_code(department.municipality)
        add(
            "budget_code",
            f"budget code of {slug}",
            {"pk": codes[slug].pk},
            city_slug=slug,
        )

    def staff_of(department):
        return (
            StaffMembership.objects.filter(
                role=StaffRole.DEPARTMENT, departments=department
            )
            .first()
            .user
        )

    for (s, code), to in connections.items():
        staff = staff_of(to.department)
        order = make_order(
            connection=to,
            actor=staff,
            budget_code=codes[city_of[code]],
            number=f"TM-ORD-{s}-{code}",
        )
        order = order_confirm(order=order, supplier=to.supplier, actor=suppliers[s][1])
        label = f"order of {s} from {code}"
        add("order", label, {"pk": order.pk}, s=s, code=code, marker=order.number)
        delivery = delivery_record(
            order=order,
            supplier=to.supplier,
            actor=suppliers[s][1],
            number=f"TM-DLV-{s}-{code}",
            delivered_on=order.order_date,
            lines=[
                DeliveryLineInput(
                    order_line=order.lines.order_by("position").first(),
                    quantity=Decimal(1),
                )
            ],
        )
        add("delivery", f"delivery of {label}", {"pk": delivery.pk}, s=s, code=code)
    for s, code in (("a", "A1"), ("b", "B1")):
        to = connections[(s, code)]
        draft = make_order(
            connection=to,
            actor=staff_of(to.department),
            budget_code=codes[city_of[code]],
            number=f"TM-ORD-DRAFT-{s}-{code}",
            send=False,
        )
        add(
            "order_draft",
            f"draft order to {s} from {code}",
            {"pk": draft.pk},
            s=s,
            code=code,
            marker=draft.number,
        )
