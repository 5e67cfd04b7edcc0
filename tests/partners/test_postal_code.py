"""郵便番号 as people type it, stored as 893-0014 wherever a supplier enters it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from municipality.fields import postal_code_normalize


@pytest.mark.parametrize(
    "typed",
    [
        "〒８９３－００１４",  # full-width digits and hyphen-minus, with 〒
        "〒893-0014",
        "〒 893-0014",
        "８９３ー００１４",  # katakana long vowel mark for the hyphen
        "893ｰ0014",  # half-width long vowel mark
        "893‐0014",  # U+2010 hyphen
        "893−0014",  # U+2212 minus sign
        "893―0014",  # U+2015 horizontal bar
        "893–0014",  # en dash
        "８９３００１４",  # no hyphen
        "8930014",
        " 893-0014　",
    ],
)
def test_postal_code_is_normalised(typed):
    assert postal_code_normalize(typed) == "893-0014"


def test_empty_postal_code_stays_empty():
    assert postal_code_normalize("") == ""
    assert postal_code_normalize("〒") == ""


@pytest.mark.parametrize("typed", ["893-001", "893-00145", "〒ABC-DEFG", "89-30014-"])
def test_wrong_postal_code_is_refused_with_an_example(typed):
    with pytest.raises(ValidationError) as error:
        postal_code_normalize(typed)
    assert error.value.messages == [
        "郵便番号は7桁の数字で入力してください（例: 893-8501）。"
    ]


@pytest.mark.django_db
def test_profile_accepts_postal_code_longer_than_it_is_stored(client, supplier_user):
    """〒８９３－００１４ is 9 characters; the column holds 8. The form field
    must not refuse it (nor the browser cut it off) before normalising."""
    from tests.partners.test_profile import _data

    supplier = supplier_user.supplier_membership.supplier
    client.force_login(supplier_user)
    page = client.get(reverse("supplier:profile_edit")).content.decode()
    assert 'maxlength="8"' not in page
    response = client.post(
        reverse("supplier:profile_edit"),
        _data(supplier, postal_code="〒８９３－００１４"),
    )
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.postal_code == "893-0014"
    assert "〒893-0014" in client.get(reverse("supplier:profile")).content.decode()
