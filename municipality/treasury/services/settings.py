"""Writes for the treasury settings (会計の設定): the originator, the
account debited, fees and whether a second person approves each batch.
Every change is recorded field by field (設定・権限の変更履歴)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from municipality.audit import field_changes, field_values, settings_event_append
from municipality.models import (
    Municipality,
    SettingsAction,
    SettingsEventKind,
    TreasurySettings,
)
from municipality.treasury.selectors.settings import treasury_settings_get

# Marked here, translated where raised (tests compare the Japanese text).
NO_SETTINGS = gettext_noop(
    "会計の設定（委託者コード・支払口座）がまだありません。"
    "自治体管理者に「会計の設定」の登録を依頼してください。"
)


def treasury_settings_require(municipality: Municipality) -> TreasurySettings:
    """The municipality's settings; ``ValidationError`` when there are none
    (no batch can be made, exported or booked without them)."""
    settings = treasury_settings_get(municipality=municipality)
    if settings is None:
        raise ValidationError(gettext(NO_SETTINGS))
    return settings


# Every field of the settings is audited: the account debited and the fees
# decide where money goes, ``four_eyes`` whether a second person checks it.
TREASURY_AUDITED_FIELDS = tuple(
    field.name
    for field in TreasurySettings._meta.concrete_fields
    if field.name not in ("id", "municipality", "updated_at")
)


def _settings_record(
    *,
    settings: TreasurySettings,
    action: str,
    before: dict,
    after: dict,
    actor: User | None,
) -> None:
    settings_event_append(
        kind=SettingsEventKind.TREASURY_SETTINGS,
        action=action,
        target_label=str(TreasurySettings._meta.verbose_name),
        changes=field_changes(model=TreasurySettings, before=before, after=after),
        actor=actor,
        municipality_id=settings.municipality_id,
    )


@transaction.atomic
def treasury_settings_save(
    *, municipality: Municipality, values: dict, actor: User | None
) -> TreasurySettings:
    """Create or update the municipality's treasury settings with
    ``values`` (field name → value), recording every changed field with its
    value before and after (設定・権限の変更履歴).

    The municipality's row is locked first, as ``batch_create`` locks it, so
    a batch is created either before or after a change of ``four_eyes``.
    Raises ``ValidationError``.
    """
    Municipality.objects.select_for_update().get(pk=municipality.pk)
    settings = (
        TreasurySettings.objects.select_for_update()
        .filter(municipality=municipality)
        .first()
    )
    before = field_values(settings, TREASURY_AUDITED_FIELDS) if settings else {}
    if settings is None:
        settings = TreasurySettings(municipality=municipality)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    _settings_record(
        settings=settings,
        action=SettingsAction.CHANGED if before else SettingsAction.CREATED,
        before=before,
        after=field_values(settings, TREASURY_AUDITED_FIELDS),
        actor=actor,
    )
    return settings


@transaction.atomic
def treasury_settings_delete(*, settings: TreasurySettings, actor: User) -> None:
    """Remove the treasury settings (batches can no longer be made),
    recording what they were."""
    Municipality.objects.select_for_update().get(pk=settings.municipality_id)
    settings = TreasurySettings.objects.select_for_update().get(pk=settings.pk)
    _settings_record(
        settings=settings,
        action=SettingsAction.DELETED,
        before=field_values(settings, TREASURY_AUDITED_FIELDS),
        after={},
        actor=actor,
    )
    settings.delete()
