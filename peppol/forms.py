from django import forms

from peppol.models import AccessPointSettings


class AccessPointSettingsForm(forms.ModelForm):
    """The city's Peppol ID and how the portal reaches its access point."""

    class Meta:
        model = AccessPointSettings
        fields = ("participant_id", "kind", "directory", "enabled")
        widgets = {"kind": forms.RadioSelect}

    def clean_participant_id(self):
        return self.cleaned_data["participant_id"].strip()

    def clean_directory(self):
        return self.cleaned_data["directory"].strip()
