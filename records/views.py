"""Views shared by every clinical record: a form saved through a service, the page of a site's
record in that site's time zone, and a record's history."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.views.generic import ListView

from audit.masking import CONFIDENTIAL_NOTICE
from audit.selectors import history_for
from audit.services import ConcurrentEditError
from records.forms import add_service_error, rebind_after_conflict


def activate_site_time_zone(site) -> None:
    """For the rest of the request, times are those of `site` (a page about its records)."""
    timezone.activate(site.zoneinfo)


class SiteTimeZoneMixin:
    """A page about one site's record shows its times, and reads times typed into its forms, in
    that site's time zone, whatever the zones of the user's other sites.

    The view loads its record in `dispatch` before calling up to this mixin, and names the
    record's site in `time_zone_site` (None: a page about no record yet, which keeps the user's
    zone). The zone is active before any form is bound and any template renders.
    """

    def time_zone_site(self):
        raise NotImplementedError(f"{type(self).__name__} must name the site of its record.")

    def dispatch(self, request, *args, **kwargs):
        site = self.time_zone_site()
        if site is not None:
            activate_site_time_zone(site)
        return super().dispatch(request, *args, **kwargs)


class ServiceFormMixin:
    """A form view about one versioned record (`self.record`, loaded in `dispatch`) whose save
    goes through a service.

    `save(form)` calls the service and returns the response after success. A save that lost to
    someone else's shows the form again with everything the user typed, bound to the record as
    it now is (`reload()`), with the current version; a service's refusal is shown beside the
    field it concerns. `form_for(record, **kwargs)` builds the form.
    """

    record = None
    # What the services raise to refuse a save (shown beside its field, or above the form).
    refusals: tuple[type[Exception], ...] = (ValidationError,)

    def form_for(self, record, **kwargs):
        raise NotImplementedError

    def reload(self):
        raise NotImplementedError

    def save(self, form):
        raise NotImplementedError

    def get_form(self, form_class=None):
        return self.form_for(self.record, **self.get_form_kwargs())

    def form_valid(self, form):
        try:
            return self.save(form)
        except ConcurrentEditError as error:
            current = self.reload()
            rebound = rebind_after_conflict(
                lambda data: self.form_for(current, data=data),
                data=self.request.POST,
                version=current.version,
                error=error,
            )
            return self.form_invalid(rebound)
        except self.refusals as error:
            add_service_error(form, error)
            return self.form_invalid(form)


class RecordHistoryView(LoginRequiredMixin, ListView):
    """Who changed what, when and why, for one record and the records that belong to it.

    Subclasses implement `get_records()`, which must enforce the user's site scope (raise Http404
    outside it) and return the subject record first, then the records that belong to it or
    querysets of them (see `history_for`).

    The values of confidential records (settings.AUDIT_CONFIDENTIAL_MODELS) are replaced by a
    notice, unless the page is that record's own history and checks the record's own permission:
    such a page sets `shows_confidential = True`.
    """

    template_name = "audit/history.html"
    context_object_name = "entries"
    paginate_by = 50
    permission_required = "audit.view_logentry"
    shows_confidential = False

    def get_records(self) -> list:
        raise NotImplementedError

    def get_queryset(self):
        self.records = self.get_records()
        if not self.request.user.has_perm(self.permission_required, self.records[0]):
            raise PermissionDenied("Your role does not include reading the audit trail.")
        return history_for(records=self.records)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subject"] = self.records[0]
        context["shows_confidential"] = self.shows_confidential
        context["confidential_notice"] = CONFIDENTIAL_NOTICE
        return context
