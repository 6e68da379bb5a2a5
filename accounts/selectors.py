"""Who the user is in the trial: memberships, roles and the sites in their scope."""

import datetime
from dataclasses import dataclass, field

from axes.conf import settings as axes_settings
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Model, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from accounts.models import SITE_ROLES, Membership, Site, User
from accounts.permissions import FREE_TEXT_PERMISSION, ROLE_PERMISSIONS
from audit.client import client_address


@dataclass(frozen=True)
class Scope:
    """The sites a user may see, computed once per request from their active memberships."""

    memberships: tuple[Membership, ...]
    identity_site_ids: frozenset[int] = field(default_factory=frozenset)
    # Every site of each study in which the user holds a study-wide role.
    study_site_ids: dict[int, frozenset[int]] = field(default_factory=dict)
    # The time zones of every site the user works with.
    time_zones: frozenset[str] = field(default_factory=frozenset)

    @property
    def time_zone(self) -> str | None:
        """The user's time zone, if all their sites share one."""
        return next(iter(self.time_zones)) if len(self.time_zones) == 1 else None

    def sites_with(self, perm: str) -> frozenset[int]:
        """The sites at which one of the user's roles grants `perm`.

        A therapist at site 1 who is also study administrator of another study sees participants
        of site 1 only: the administrator role does not carry `view_participant`.
        """
        sites: set[int] = set()
        for m in self.memberships:
            if perm not in ROLE_PERMISSIONS.get(m.role, frozenset()):
                continue
            if m.site_id is not None:
                if m.site_id in self.identity_site_ids:
                    sites.add(m.site_id)
            else:
                sites |= self.study_site_ids.get(m.study_id, frozenset())
        return frozenset(sites)

    @property
    def admin_study_ids(self) -> frozenset[int]:
        return frozenset(m.study_id for m in self.memberships if m.role == "study_admin")

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
    time_zones = {m.site.time_zone for m in memberships if m.site is not None}
    study_wide = {m.study_id for m in memberships if m.site_id is None}
    study_site_ids: dict[int, set[int]] = {study_id: set() for study_id in study_wide}
    if study_wide:
        for site_id, study_id, time_zone in Site.objects.filter(
            study_id__in=study_wide
        ).values_list("id", "study_id", "time_zone"):
            study_site_ids[study_id].add(site_id)
            time_zones.add(time_zone)
    scope = Scope(
        memberships=memberships,
        identity_site_ids=frozenset(own_site_ids),
        study_site_ids={k: frozenset(v) for k, v in study_site_ids.items()},
        time_zones=frozenset(time_zones),
    )
    user._trialsite_scope = scope
    return scope


def site_list(user: User, perm: str = "participants.view_participant"):
    """The sites at which the user may do `perm` (by default: read participants)."""
    return Site.objects.filter(id__in=user_scope(user).sites_with(perm)).select_related("study")


def get_in_scope(queryset: QuerySet, pk, *, missing: str) -> Model:
    """The record `pk` of a queryset already limited to the user's scope; any other ID (outside
    the scope, unknown, or not a number) is simply not found."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(missing) from None


def may_see_free_text(user: User, record: Model | None = None) -> bool:
    """Whether `user` may read the free text of clinical records: of `record` (by the roles held
    at its site), or of any record when None. Sponsor data managers never may."""
    return user.has_perm(FREE_TEXT_PERMISSION, record)


UNLOCK_USER = "accounts.unlock_user"


@dataclass(frozen=True)
class Lockout:
    """An account locked out after too many failed log-ins (from one address or several)."""

    account: User
    failures: int
    last_failure: datetime.datetime

    @property
    def locked_until(self) -> datetime.datetime | None:
        cool_off = get_cool_off()
        return self.last_failure + cool_off if cool_off else None


def _within_cool_off(attempts: QuerySet) -> QuerySet:
    """The log-in attempts that still count: those within the cool-off time (all, without one)."""
    cool_off = get_cool_off()
    if cool_off is None:
        return attempts
    return attempts.filter(attempt_time__gte=timezone.now() - cool_off)


def locked_out_accounts(*, user: User) -> list[Lockout]:
    """The accounts of the studies `user` administers that are locked out now, in two queries.

    Locked out as django-axes decides (AXES_LOCKOUT_PARAMETERS: per username and address): an
    address with at least AXES_FAILURE_LIMIT failures of the username within the cool-off time.
    """
    if not user.has_perm(UNLOCK_USER):
        return []
    study_ids = user_scope(user).admin_study_ids
    usernames = User.objects.filter(memberships__study_id__in=study_ids).values("username")
    attempts = _within_cool_off(
        AccessAttempt.objects.filter(
            failures_since_start__gte=axes_settings.AXES_FAILURE_LIMIT, username__in=usernames
        )
    )
    rows = {
        row["username"]: row
        for row in attempts.order_by()
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last_failure=Max("attempt_time"))
    }
    accounts = User.objects.filter(username__in=rows).order_by("username")
    return [
        Lockout(
            account=account,
            failures=rows[account.username]["failures"],
            last_failure=rows[account.username]["last_failure"],
        )
        for account in accounts
    ]


def address_locked_out(request) -> bool:
    """Whether the request's client address has failed to log in, for any usernames, at least
    AXES_ADDRESS_FAILURE_LIMIT times within the cool-off time."""
    attempts = _within_cool_off(AccessAttempt.objects.filter(ip_address=client_address(request)))
    failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
    return failures >= settings.AXES_ADDRESS_FAILURE_LIMIT
