from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import Membership, Site, Study, User


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["site"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "last_login"]
    actions = None

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
class StudyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "registry_id"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "study", "is_active"]
    list_filter = ["study", "is_active"]
    search_fields = ["number", "name"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "study", "site", "is_active"]
    list_filter = ["study", "role", "is_active"]
    autocomplete_fields = ["site"]

    def has_delete_permission(self, request, obj=None):
        return False  # end a membership by deactivating it, so its history stays readable
