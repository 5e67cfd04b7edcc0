"""The confirmation step of irreversible actions (発行, 取下げ, 差戻し, 承認,
支払済, バッチの取消, and the bulk issue and approve): one mechanism for
every one of them.

- The action's URL answers GET, and a POST without the ``confirmed`` field,
  with a confirmation page (``includes/confirm_page.html``): what will be
  done to which invoice(s), the amount, the addressee and the consequence,
  and a form that sends the same data again with ``confirmed=1``, beside a
  link back. Nothing changes before that second request.
- With JavaScript, ``static/js/confirm.js`` sends a ``data-confirm`` form's
  first POST itself, shows the confirmation page's summary and form in a
  ``<dialog>`` on the page, and its button sends the confirmed POST.

A second confirmed POST (double click, reload) is refused by the service
(``TransitionError``) and only explained, as before.
"""

from dataclasses import dataclass

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.functional import Promise

CONFIRMED = "confirmed"


def confirmed(request: HttpRequest) -> bool:
    """Whether the POST comes from the confirmation step (the page's button
    or the dialog's)."""
    return request.POST.get(CONFIRMED) == "1"


@dataclass(frozen=True)
class Confirmation:
    """The words of one action's confirmation step: the page's title, the
    confirm button's label, and whether the button is drawn as dangerous."""

    title: str | Promise
    button: str | Promise
    danger: bool = False


def confirmation_response(
    request: HttpRequest,
    *,
    template_name: str,
    confirmation: Confirmation,
    cancel_url: str,
    form=None,
    problems: list | None = None,
    **context,
) -> TemplateResponse:
    """The confirmation page. ``form`` carries the action's input: its
    fields are sent again hidden when it is valid, shown (with their
    errors) when it is not or not yet filled in. ``problems`` (bulk
    actions) are listed instead of the button: all or nothing."""
    return TemplateResponse(
        request,
        template_name,
        {
            "confirmation": confirmation,
            "cancel_url": cancel_url,
            "form": form,
            "problems": problems or [],
            **context,
        },
    )
