"""What the procurement pages share: the confirmation step of their
irreversible actions (``invoices.views.confirm``) and error reporting."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views import View

from invoices.views.confirm import Confirmation, confirmation_response, confirmed
from procurement.workflow import OrderTransitionError


def error_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for values in error.message_dict.values() for m in values]
    return list(error.messages)


class ConfirmedActionView(View):
    """GET (and a POST without ``confirmed=1``) shows the confirmation page
    with the action's form; the confirmed POST calls ``perform``, which
    returns the success message. Refusals (``ValidationError``, a status
    changed meanwhile) are shown on the object's page."""

    confirmation: Confirmation
    template_name = ""
    form_class = None

    def get_object(self):
        raise NotImplementedError

    def success_url(self, obj) -> str:
        raise NotImplementedError

    def perform(self, obj, data: dict) -> str:
        raise NotImplementedError

    def context(self, obj) -> dict:
        return {"object": obj}

    def ask(self, obj, form):
        return confirmation_response(
            self.request,
            template_name=self.template_name,
            confirmation=self.confirmation,
            cancel_url=self.success_url(obj),
            form=form,
            **self.context(obj),
        )

    def build_form(self, obj, data=None):
        """The action's input form, or None when it takes none."""
        return self.form_class(data) if self.form_class else None

    def get(self, request, **kwargs):
        obj = self.get_object()
        return self.ask(obj, self.build_form(obj))

    def post(self, request, **kwargs):
        obj = self.get_object()
        form = self.form = self.build_form(obj, request.POST)
        if not confirmed(request) or (form is not None and not form.is_valid()):
            return self.ask(obj, form)
        try:
            message = self.perform(obj, form.cleaned_data if form else {})
        except ValidationError as error:
            for text in error_messages(error):
                messages.error(request, text)
        except OrderTransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, message)
        return redirect(self.success_url(obj))
