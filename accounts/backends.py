"""Permissions from roles: what a membership lets a user do, overall or at one record's site."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q

from accounts.permissions import ROLE_PERMISSIONS
from accounts.selectors import user_scope


def _record_site_and_study(obj) -> tuple[int | None, int | None] | None:
    site = getattr(obj, "site", None)
    if site is not None and hasattr(site, "study_id"):
        return site.pk, site.study_id
    if hasattr(obj, "participant"):
        return _record_site_and_study(obj.participant)
    return None


class RoleBackend(ModelBackend):
    """Grants the permissions of the user's roles.

    Without an object: the union over all of the user's memberships. With a record that belongs to
    a site: only the roles held at that site, or study-wide in that site's study.
    """

    def _django_permissions(self, user_obj) -> set[str]:
        """Django's own permissions of the user (granted to them or to their groups, as the admin
        sets them), read in one query and kept on the user for the request. They are the admin's,
        which only staff users enter: everyone else's permissions are their roles'."""
        if not user_obj.is_staff:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            granted = Permission.objects.all()
            if not user_obj.is_superuser:
                granted = granted.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in granted.values_list(
                    "content_type__app_label", "codename"
                ).order_by()
            }
        return user_obj._perm_cache

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        scope = user_scope(user_obj)
        if obj is None:
            roles = scope.roles
            perms = set(self._django_permissions(user_obj))
        else:
            where = _record_site_and_study(obj)
            if where is None:
                return set()
            roles = scope.roles_at(*where)
            perms = set()
        for role in roles:
            perms |= ROLE_PERMISSIONS.get(role, frozenset())
        return perms

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)
