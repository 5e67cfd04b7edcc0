from django.utils.functional import SimpleLazyObject

from accounts.roles import current_role, roles_for_user


def roles(request):
    """The user's roles for the header's role switcher, computed only when a
    template uses them."""
    user_roles = SimpleLazyObject(lambda: roles_for_user(request.user))
    return {
        "user_roles": user_roles,
        "active_role": SimpleLazyObject(
            lambda: current_role(list(user_roles), request.path)
        ),
    }
