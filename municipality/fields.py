from django.db import models

from municipality.validators import normalize_identifier


class IdentifierField(models.CharField):
    """A code or number stored in canonical form: half-width, no separators.

    Users paste ``Ｔ１２３４-…`` from Excel or a letterhead; forms, the admin
    and ``full_clean()`` all go through ``to_python``, so normalising here
    covers every entry path before the validators run.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_identifier(value) if value else value
