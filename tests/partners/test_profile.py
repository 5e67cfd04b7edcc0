import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, PngImagePlugin

from partners.images import SEAL_MAX_BYTES
from partners.models import LegalForm, PriceBasis, SupplierRole, TaxRounding
from tests.factories import SupplierFactory, SupplierMembershipFactory, corporate_number

pytestmark = pytest.mark.django_db

EDIT_URL = reverse("supplier:profile_edit")


def _image(fmt: str, size=(80, 80), **save_kwargs) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()


def _jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = "secret-description"
    return _image("JPEG", exif=exif.tobytes())


@pytest.fixture
def owner(supplier_user):
    return supplier_user


@pytest.fixture
def supplier(owner):
    return owner.supplier_membership.supplier


@pytest.fixture
def clerk(supplier):
    return SupplierMembershipFactory(supplier=supplier, role=SupplierRole.CLERK).user


def _data(supplier, **changes):
    data = {
        "legal_name": supplier.legal_name,
        "name_kana": supplier.name_kana,
        "legal_form": supplier.legal_form,
        "registration_number": supplier.registration_number,
        "corporate_number": supplier.corporate_number,
        "postal_code": supplier.postal_code,
        "address": supplier.address,
        "phone": supplier.phone,
        "contact_name": supplier.contact_name,
        "contact_email": supplier.contact_email,
        "tax_rounding": supplier.tax_rounding,
        "default_price_basis": supplier.default_price_basis,
    }
    return {**data, **changes}


def _upload(client, supplier, content: bytes, name: str, **changes):
    seal = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(EDIT_URL, {**_data(supplier, **changes), "seal": seal})


def _errors(response) -> str:
    assert response.status_code == 200, "the form should be shown again"
    return str(response.context["form"].errors)


def test_owner_edits_profile_and_full_width_input_is_normalised(client, owner):
    client.force_login(owner)
    supplier = owner.supplier_membership.supplier
    number = f"T{corporate_number(424242)}"
    full_width = number.translate(
        str.maketrans("T0123456789", "Ｔ０１２３４５６７８９")
    )
    response = client.post(
        EDIT_URL,
        _data(
            supplier,
            legal_name="株式会社かのや印刷",
            name_kana="かのやいんさつ",
            registration_number=full_width,
            corporate_number=number[1:],
            postal_code="８９３－８５０１",
            phone="０９９４－３１－１１１１",
            contact_email="keiri@kanoya-print.example.jp",
            tax_rounding=TaxRounding.HALF_UP,
            default_price_basis=PriceBasis.INCLUSIVE,
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("supplier:profile")
    supplier.refresh_from_db()
    assert supplier.legal_name == "株式会社かのや印刷"
    assert supplier.name_kana == "カノヤインサツ"
    assert supplier.registration_number == number
    assert supplier.postal_code == "893-8501"
    assert supplier.phone == "0994-31-1111"
    assert supplier.tax_rounding == TaxRounding.HALF_UP
    assert supplier.default_price_basis == PriceBasis.INCLUSIVE
    page = client.get(reverse("supplier:profile")).content.decode()
    assert "事業者情報を保存しました。" in page
    assert "税込" in page


def test_clerk_views_profile_but_gets_404_on_edit(client, clerk, supplier):
    client.force_login(clerk)
    page = client.get(reverse("supplier:profile"))
    assert page.status_code == 200
    assert supplier.legal_name in page.content.decode()
    assert EDIT_URL not in page.content.decode()
    assert client.get(EDIT_URL).status_code == 404
    response = client.post(EDIT_URL, _data(supplier, legal_name="書き換え"))
    assert response.status_code == 404
    supplier.refresh_from_db()
    assert supplier.legal_name != "書き換え"


def test_wrong_check_digit_is_refused_and_nothing_is_saved(client, owner, supplier):
    client.force_login(owner)
    body = corporate_number(7)[1:]
    wrong = f"T{(int(corporate_number(7)[0]) % 9) + 1}{body}"
    response = client.post(
        EDIT_URL, _data(supplier, legal_name="変更後", registration_number=wrong)
    )
    assert "検査用数字（Tの次の1桁）が一致しません" in _errors(response)
    supplier.refresh_from_db()
    assert supplier.legal_name != "変更後"


def test_registration_number_format_is_explained(client, owner, supplier):
    client.force_login(owner)
    response = client.post(EDIT_URL, _data(supplier, registration_number="T123"))
    assert "「T」に続けて13桁の数字" in _errors(response)


def test_owner_sets_the_legal_form_to_sole_proprietor(client, owner, supplier):
    client.force_login(owner)
    page = client.get(EDIT_URL).content.decode()
    assert 'name="legal_form"' in page
    response = client.post(EDIT_URL, _data(supplier, legal_form="individual"))
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.legal_form == LegalForm.INDIVIDUAL
    assert "個人事業主" in client.get(reverse("supplier:profile")).content.decode()


def test_a_sole_proprietor_has_no_corporate_number(client, owner, supplier):
    client.force_login(owner)
    response = client.post(
        EDIT_URL,
        _data(supplier, legal_form="individual", corporate_number=corporate_number(9)),
    )
    assert "個人事業主には法人番号がありません。" in _errors(response)
    supplier.refresh_from_db()
    assert supplier.legal_form == LegalForm.CORPORATION


def test_registration_number_of_another_supplier_is_refused(client, owner, supplier):
    other = SupplierFactory()
    client.force_login(owner)
    response = client.post(
        EDIT_URL, _data(supplier, registration_number=other.registration_number)
    )
    assert "この登録番号の取引先はすでに登録されています。" in _errors(response)


def test_jpeg_seal_is_stored_without_metadata_and_previewed(client, owner, supplier):
    client.force_login(owner)
    response = _upload(client, supplier, _jpeg_with_exif(), "hanko.JPG")
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.seal_image.name.startswith(f"seals/{supplier.pk}/")
    assert supplier.seal_image.name.endswith(".jpg")
    with supplier.seal_image.open("rb") as file:
        stored = file.read()
    assert b"secret-description" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"

    page = client.get(reverse("supplier:profile")).content.decode()
    seal_url = reverse(
        "supplier:seal", kwargs={"name": supplier.seal_image.name.split("/")[-1]}
    )
    assert f'src="{seal_url}"' in page
    preview = client.get(seal_url)
    assert preview.status_code == 200
    assert preview["Content-Type"] == "image/jpeg"
    assert preview["X-Content-Type-Options"] == "nosniff"
    assert preview.content == stored


def test_gif_seal_is_accepted(client, owner, supplier):
    client.force_login(owner)
    assert _upload(client, supplier, _image("GIF"), "hanko.gif").status_code == 302
    supplier.refresh_from_db()
    assert supplier.seal_image.name.endswith(".gif")
    name = supplier.seal_image.name.split("/")[-1]
    preview = client.get(reverse("supplier:seal", kwargs={"name": name}))
    assert preview["Content-Type"] == "image/gif"


def test_bmp_renamed_to_png_is_refused_and_nothing_is_saved(client, owner, supplier):
    client.force_login(owner)
    response = _upload(
        client, supplier, _image("BMP"), "hanko.png", legal_name="変更後"
    )
    assert "「hanko.png」の中身は BMP 形式の画像です" in _errors(response)
    assert "PNG、JPEG または GIF 形式で保存し直して" in _errors(response)
    supplier.refresh_from_db()
    assert not supplier.seal_image
    assert supplier.legal_name != "変更後"


def _png_with_metadata(mode: str, color) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-comment")
    info.add_itxt("Location", "secret-location", zip=True)
    exif = Image.Exif()
    exif[0x010E] = "secret-description"
    buffer = io.BytesIO()
    image = Image.new(mode, (80, 80), color)
    image.save(buffer, format="PNG", pnginfo=info, exif=exif.tobytes())
    return buffer.getvalue()


def _stored(supplier) -> bytes:
    supplier.refresh_from_db()
    with supplier.seal_image.open("rb") as file:
        return file.read()


def test_transparent_png_seal_is_stored_without_metadata(client, owner, supplier):
    client.force_login(owner)
    data = _png_with_metadata("RGBA", (200, 30, 30, 0))
    assert b"secret-comment" in data
    assert b"eXIf" in data
    response = _upload(client, supplier, data, "hanko.png")
    assert response.status_code == 302
    stored = _stored(supplier)
    assert supplier.seal_image.name.endswith(".png")
    for secret in (b"secret-comment", b"secret-location", b"secret-description"):
        assert secret not in stored
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf"):
        assert chunk not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0
    name = supplier.seal_image.name.split("/")[-1]
    preview = client.get(reverse("supplier:seal", kwargs={"name": name}))
    assert preview["Content-Type"] == "image/png"


@pytest.mark.parametrize("mode", ["LA", "P"])
def test_png_transparency_of_other_modes_is_kept(client, owner, supplier, mode):
    client.force_login(owner)
    buffer = io.BytesIO()
    if mode == "LA":
        Image.new("LA", (40, 40), (0, 0)).save(buffer, format="PNG")
    else:
        image = Image.new("P", (40, 40), 0)
        image.putpalette([255, 255, 255, 200, 30, 30])
        image.putpixel((5, 5), 1)
        image.save(buffer, format="PNG", transparency=0)
    with Image.open(io.BytesIO(buffer.getvalue())) as original:
        assert original.convert("RGBA").getpixel((0, 0))[3] == 0
    assert _upload(client, supplier, buffer.getvalue(), "hanko.png").status_code == 302
    with Image.open(io.BytesIO(_stored(supplier))) as image:
        assert image.mode == mode
        assert image.convert("RGBA").getpixel((0, 0))[3] == 0


def test_text_file_named_png_is_refused(client, owner, supplier):
    client.force_login(owner)
    response = _upload(client, supplier, b"not an image\n", "hanko.png")
    assert "「hanko.png」は画像ファイルとして読み取れません" in _errors(response)


def test_truncated_png_is_refused(client, owner, supplier):
    client.force_login(owner)
    data = _image("PNG", size=(400, 400))
    response = _upload(client, supplier, data[: len(data) // 2], "hanko.png")
    assert "PNG 画像として壊れているか、読み取れません" in _errors(response)


@pytest.mark.parametrize("side", [3000, 40000])
def test_png_decompression_bomb_is_refused(client, owner, supplier, side):
    """A few KB that would decode to billions of pixels: refused from the
    header, before anything is decoded (40000² is past Pillow's own limit)."""
    client.force_login(owner)
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, format="PNG", optimize=True)
    data = buffer.getvalue()
    assert len(data) < SEAL_MAX_BYTES
    response = _upload(client, supplier, data, "bomb.png")
    assert "縦・横それぞれ2000ピクセル以内にしてください" in _errors(response)
    supplier.refresh_from_db()
    assert not supplier.seal_image


def test_text_file_named_gif_is_refused(client, owner, supplier):
    client.force_login(owner)
    response = _upload(client, supplier, b"GIF? no, just text\n", "hanko.gif")
    assert "「hanko.gif」は画像ファイルとして読み取れません" in _errors(response)


def test_truncated_jpeg_is_refused(client, owner, supplier):
    client.force_login(owner)
    data = _image("JPEG", size=(400, 400))
    response = _upload(client, supplier, data[: len(data) // 2], "hanko.jpg")
    assert "壊れているか、読み取れません" in _errors(response)


def test_oversize_file_is_refused(client, owner, supplier):
    client.force_login(owner)
    data = _image("JPEG") + b"\0" * SEAL_MAX_BYTES
    response = _upload(client, supplier, data, "hanko.jpg")
    size = -(-len(data) // 1024)
    assert f"1,024KB以下にしてください（「hanko.jpg」は{size:,}KBです）" in _errors(
        response
    )


def test_too_many_pixels_is_refused(client, owner, supplier):
    client.force_login(owner)
    response = _upload(client, supplier, _image("GIF", size=(2400, 10)), "wide.gif")
    assert "この画像は 2400×10 ピクセルです" in _errors(response)


def test_invalid_form_keeps_the_seal_and_valid_one_replaces_it(
    client, owner, supplier, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    _upload(client, supplier, _image("JPEG"), "first.jpg")
    supplier.refresh_from_db()
    first = supplier.seal_image.name

    response = _upload(client, supplier, _image("GIF"), "second.gif", address="")
    assert response.status_code == 200
    supplier.refresh_from_db()
    assert supplier.seal_image.name == first

    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, supplier, _image("GIF"), "second.gif")
    supplier.refresh_from_db()
    assert supplier.seal_image.name.endswith(".gif")
    assert not supplier.seal_image.storage.exists(first)


def test_seal_can_be_removed(
    client, owner, supplier, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    _upload(client, supplier, _image("JPEG"), "hanko.jpg")
    supplier.refresh_from_db()
    name = supplier.seal_image.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EDIT_URL, {**_data(supplier), "remove_seal": "on"})
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert not supplier.seal_image
    assert not supplier.seal_image.storage.exists(name)
    seal_url = reverse("supplier:seal", kwargs={"name": name.split("/")[-1]})
    assert client.get(seal_url).status_code == 404


def test_seal_preview_is_for_members_of_the_supplier_only(
    client, owner, supplier, clerk, other_supplier_user
):
    client.force_login(owner)
    _upload(client, supplier, _image("JPEG"), "hanko.jpg")
    supplier.refresh_from_db()
    url = reverse(
        "supplier:seal", kwargs={"name": supplier.seal_image.name.split("/")[-1]}
    )

    client.force_login(clerk)
    assert client.get(url).status_code == 200
    client.force_login(other_supplier_user)
    assert client.get(url).status_code == 404
    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_profile_page_never_links_the_media_url(client, owner, supplier, settings):
    client.force_login(owner)
    _upload(client, supplier, _image("JPEG"), "hanko.jpg")
    supplier.refresh_from_db()
    page = client.get(reverse("supplier:profile")).content.decode()
    assert settings.MEDIA_URL not in page
    assert supplier.seal_image.name not in page
