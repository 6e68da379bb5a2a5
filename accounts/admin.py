"""Administration of accounts, sites and roles.

A study administrator (is_staff, permissions from their role) manages only the studies they
administer: their sites, the memberships in them and the accounts that hold those memberships.
Superuser accounts and the administrator's own account are out of their reach.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q

from accounts.models import Membership, Site, Study, User
from accounts.selectors import user_scope


def _admin_studies(request) -> frozenset[int]:
    return user_scope(request.user).admin_study_ids


def _limit_choices(db_field, request, kwargs) -> None:
    """Offer a non-superuser only their own studies, their sites, and accounts below theirs."""
    if request.user.is_superuser:
        return
    if db_field.name == "study":
        kwargs["queryset"] = Study.objects.filter(pk__in=_admin_studies(request))
    elif db_field.name == "site":
        kwargs["queryset"] = Site.objects.filter(study__in=_admin_studies(request))
    elif db_field.name == "user":
        kwargs["queryset"] = User.objects.filter(is_superuser=False).exclude(pk=request.user.pk)


class StudyScopedAdmin(admin.ModelAdmin):
    """Limits a non-superuser to the records of the studies they administer."""

    study_lookup = "study"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.study_lookup}__in": _admin_studies(request)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _limit_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead, so that the history stays readable


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(study__in=_admin_studies(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _limit_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "last_login"]
    actions = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # Accounts of the administrator's studies, and new accounts that have no role yet.
        return (
            queryset.filter(is_superuser=False)
            .exclude(pk=request.user.pk)
            .filter(Q(memberships__study__in=_admin_studies(request)) | Q(memberships__isnull=True))
            .distinct()
        )

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are deactivated, never deleted: the audit trail names them

    def get_fieldsets(self, request, obj=None):
        """Study administrators grant access through roles, never through superuser status."""
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = {"is_superuser", "groups", "user_permissions"}
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]


@admin.register(Study)
class StudyAdmin(StudyScopedAdmin):
    study_lookup = "pk"
    list_display = ["code", "name", "registry_id", "sdv_required"]
    search_fields = ["code", "name"]


@admin.register(Site)
class SiteAdmin(StudyScopedAdmin):
    list_display = ["number", "name", "study", "time_zone", "is_active"]
    list_filter = [("study", admin.RelatedOnlyFieldListFilter), "is_active"]
    search_fields = ["number", "name"]


@admin.register(Membership)
class MembershipAdmin(StudyScopedAdmin):
    list_display = ["user", "role", "study", "site", "is_active"]
    list_filter = [("study", admin.RelatedOnlyFieldListFilter), "role", "is_active"]

    def save_model(self, request, obj, form, change):
        obj.full_clean()
        super().save_model(request, obj, form, change)
