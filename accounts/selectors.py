"""Who the user is in the trial: memberships, roles and the sites in their scope."""

from dataclasses import dataclass, field

from accounts.models import SITE_ROLES, Membership, Site, User


@dataclass(frozen=True)
class Scope:
    """The sites a user may see, computed once per request from their active memberships."""

    memberships: tuple[Membership, ...]
    site_ids: frozenset[int] = field(default_factory=frozenset)
    identity_site_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def roles(self) -> set[str]:
        return {m.role for m in self.memberships}

    def roles_at(self, site_id: int | None, study_id: int | None) -> set[str]:
        return {
            m.role
            for m in self.memberships
            if (m.site_id is not None and m.site_id == site_id)
            or (m.site_id is None and m.study_id == study_id)
        }


def user_scope(user: User) -> Scope:
    """The user's scope, cached on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(memberships=())
    cached = getattr(user, "_trialsite_scope", None)
    if cached is not None:
        return cached
    memberships = tuple(
        Membership.objects.filter(user=user, is_active=True)
        .select_related("study", "site")
        .order_by("study__code", "site__number")
    )
    own_site_ids = {
        m.site_id for m in memberships if m.role in SITE_ROLES and m.site and m.site.is_active
    }
    study_wide = {m.study_id for m in memberships if m.site_id is None}
    site_ids = set(own_site_ids)
    if study_wide:
        site_ids |= set(Site.objects.filter(study_id__in=study_wide).values_list("id", flat=True))
    scope = Scope(
        memberships=memberships,
        site_ids=frozenset(site_ids),
        identity_site_ids=frozenset(own_site_ids),
    )
    user._trialsite_scope = scope
    return scope


def site_list(user: User):
    return Site.objects.filter(id__in=user_scope(user).site_ids).select_related("study")
