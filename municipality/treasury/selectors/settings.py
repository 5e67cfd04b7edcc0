"""The treasury settings (会計の設定) of a municipality."""

from municipality.models import Municipality, TreasurySettings


def treasury_settings_get(*, municipality: Municipality) -> TreasurySettings | None:
    return TreasurySettings.objects.filter(municipality=municipality).first()
