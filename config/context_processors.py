from django.utils.functional import SimpleLazyObject

from config.roles import ACTIVE_ROLE_SESSION_KEY, current_role, roles_for_user


def roles(request):
    """The user's roles for the header's role switcher, and the role being
    acted in: the one whose area the page is in, else the last one chosen
    (e.g. on the account pages). Computed only when a template uses them."""
    user_roles = SimpleLazyObject(lambda: roles_for_user(request.user))

    def active():
        found = current_role(list(user_roles), request.path)
        if found is None and hasattr(request, "session"):
            key = request.session.get(ACTIVE_ROLE_SESSION_KEY)
            found = next((r for r in user_roles if r.key == key), None)
        return found

    return {"user_roles": user_roles, "active_role": SimpleLazyObject(active)}
