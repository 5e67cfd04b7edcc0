"""Each operation runs in its key's supplier's tenant scope, as the
supplier's pages do (``config.tenancy``), after checking the key's scope."""

from functools import wraps

from django.utils.translation import gettext
from django_scopes import scope

from api.errors import ApiError
from api.models import ApiScope
from partners.selectors import supplier_municipality_ids

_NEEDS = {
    ApiScope.READ: ApiScope.READ.label,
    ApiScope.DRAFT: ApiScope.DRAFT.label,
    ApiScope.ISSUE: ApiScope.ISSUE.label,
}


def operation(needs: ApiScope):
    """An endpoint that needs the key to have ``needs`` (参照 < 下書き < 発行)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            key = request.auth
            if not key.allows(needs):
                raise ApiError(
                    403,
                    gettext(
                        "このAPIキーには「%(scope)s」の権限がありません。"
                        "取引先の管理者に、権限のあるキーを作成してもらってください。"
                    )
                    % {"scope": _NEEDS[needs]},
                )
            municipalities = supplier_municipality_ids(supplier_id=key.supplier_id)
            with scope(municipality=list(municipalities)):
                return view(request, *args, **kwargs)

        return wrapper

    return decorate
