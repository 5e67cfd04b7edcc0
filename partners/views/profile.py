import posixpath

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext
from django.views import View
from django.views.generic import FormView, TemplateView

from partners.forms.profile import SupplierProfileForm
from partners.images import seal_content_type
from partners.models import Supplier
from partners.services.profile import supplier_profile_update
from partners.views.mixins import SupplierOwnerRequiredMixin


def seal_url(supplier: Supplier) -> str:
    """Where the seal preview is served; the file's random name is part of
    the URL, so a replaced seal gets a new URL and caches never go stale."""
    if not supplier.seal_image:
        return ""
    name = posixpath.basename(supplier.seal_image.name)
    return reverse("supplier:seal", kwargs={"name": name})


class ProfileView(TemplateView):
    """事業者情報: every member may read it; owners get a link to edit."""

    template_name = "partners/profile.html"

    def get_context_data(self, **kwargs):
        access = self.request.supplier_access
        return super().get_context_data(
            supplier=access.supplier,
            access=access,
            seal_url=seal_url(access.supplier),
            **kwargs,
        )


class ProfileEditView(SupplierOwnerRequiredMixin, FormView):
    template_name = "partners/profile_edit.html"
    form_class = SupplierProfileForm
    success_url = reverse_lazy("supplier:profile")

    def get_form_kwargs(self):
        # A copy of its own: a ModelForm writes the submitted values onto its
        # instance even when they are invalid.
        supplier = Supplier.objects.get(pk=self.request.supplier_access.supplier.pk)
        return {**super().get_form_kwargs(), "instance": supplier}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            seal_url=seal_url(self.request.supplier_access.supplier), **kwargs
        )

    def form_valid(self, form):
        try:
            supplier_profile_update(
                supplier=form.instance,
                data=form.cleaned_data,
                seal=form.cleaned_data["seal"],
                remove_seal=form.cleaned_data["remove_seal"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, gettext("事業者情報を保存しました。"))
        return super().form_valid(form)


class SealView(View):
    """The seal image, to members of its supplier only (never a public MEDIA
    URL). The content type comes from the file's content, and browsers are
    told not to guess another."""

    def get(self, request, name):
        seal = request.supplier_access.supplier.seal_image
        if not seal or posixpath.basename(seal.name) != name:
            raise Http404
        try:
            with seal.open("rb") as file:
                data = file.read()
        except FileNotFoundError as error:
            raise Http404 from error
        content_type = seal_content_type(data)
        if content_type is None:
            raise Http404
        response = HttpResponse(data, content_type=content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Disposition"] = "inline"
        response["Cache-Control"] = "private, max-age=86400"
        return response
