"""Views shared by every clinical record: a form saved through a service, the page of a site's
record in that site's time zone, and a record's history."""

import copy
from collections.abc import Callable

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import ListView
from django_filters.views import FilterView

from audit.masking import CONFIDENTIAL_NOTICE
from audit.selectors import history_for
from audit.services import ConcurrentEditError
from records.edits import StepRefused
from records.forms import add_service_error, rebind_after_conflict


def activate_site_time_zone(site) -> None:
    """For the rest of the request, times are those of `site` (a page about its records)."""
    timezone.activate(site.zoneinfo)


def next_url(request, default: str) -> str:
    """Where a step returns to: the page it was opened or posted from (`next`, posted or in the
    address; a path on this site only), or `default`."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class ReturnToMixin:
    """A correction page opened from another page of this site with `?next=<path>` (a query's
    "Correct the record"): the form posts back to the same address, a successful save returns
    there rather than to the record's page, and the page links back to it (`return_url`)."""

    def return_url(self) -> str:
        return next_url(self.request, "")

    def saved(self, default: str):
        """The response to a successful save: back to `next`, else to `default`."""
        return redirect(self.return_url() or default)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["return_url"] = self.return_url()
        return context


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
    # What the services raise to refuse a save (shown beside its field, or above the form); a
    # refused step (a locked casebook's among them) is shown above the form whatever the view.
    refusals: tuple[type[Exception], ...] = (ValidationError,)

    def form_for(self, record, **kwargs):
        raise NotImplementedError

    def reload(self):
        """The record as it is saved now (by default read again by its primary key)."""
        return type(self.record)._default_manager.get(pk=self.record.pk)

    def save(self, form):
        raise NotImplementedError

    def record_reloaded(self, current) -> None:
        """After a lost concurrent save the page is about the record as it is now."""
        name = getattr(self, "record_name", "")
        if name and getattr(self, name, None) is self.record:
            setattr(self, name, current)
        self.record = current

    def get_form(self, form_class=None):
        # A model form's validation writes what was typed into its instance: the form gets a
        # copy, so that the page around it keeps showing the record as it is saved.
        return self.form_for(copy.copy(self.record), **self.get_form_kwargs())

    def form_valid(self, form):
        try:
            return self.save(form)
        except ConcurrentEditError as error:
            current = self.reload()
            self.record_reloaded(current)
            rebound = rebind_after_conflict(
                lambda data: self.form_for(copy.copy(current), data=data),
                data=self.request.POST,
                version=current.version if current.pk else None,
                error=error,
            )
            # The page can show what was saved meanwhile beside what the user typed.
            return self.render_to_response(
                self.get_context_data(form=rebound, current=current, conflict=True)
            )
        except (StepRefused, *self.refusals) as error:
            add_service_error(form, error)
            return self.form_invalid(form)


def nearest_page(paginator: Paginator, number) -> Page:
    """The page `number` (a string from the query, or None) names, or the nearest one: the
    first for no number, a number below 1 or not a number (a typo), the last past the end (an
    old bookmark, a list that shrank); never a 404, which would read as a record out of the
    user's reach."""
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    return paginator.get_page(number)


class NearestPageMixin:
    """Pages a list as Django's ListView does, except that a page number out of range or not a
    number shows the nearest page (`nearest_page`) rather than a 404."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(
            queryset,
            page_size,
            orphans=self.get_paginate_orphans(),
            allow_empty_first_page=self.get_allow_empty(),
        )
        page = nearest_page(paginator, self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()


class RecordListView(NearestPageMixin, LoginRequiredMixin, PermissionRequiredMixin, FilterView):
    """A list page of one kind of record: what its `selector(user=)` finds in the user's sites,
    filtered by `filterset_class`, 25 a page."""

    paginate_by = 25
    selector: Callable[..., QuerySet]

    def get_queryset(self):
        return type(self).selector(user=self.request.user)


class ScopedRecordMixin(SiteTimeZoneMixin, LoginRequiredMixin):
    """A page about one record of a site.

    The record is loaded through its selector (`load_record()`, which enforces the user's site
    scope: 404 outside it) and kept as `self.record` and `self.<record_name>`; `record_loaded()`
    loads what else the page is about; then a user whose role does not grant `permission` at
    the record's site is refused (403, `denied_message`). Times are read and shown in the
    record's site's zone (`record_site()`; by default the record's `site`).
    """

    record_name = "record"
    permission: str | None = None
    denied_message = ""

    def load_record(self):
        raise NotImplementedError(f"{type(self).__name__} must load its record in scope.")

    def record_loaded(self) -> None:
        """Load what else the page is about (within the user's scope)."""

    def check_record(self) -> None:
        """Once the user's permission is checked: refuse (raise) a record this page does not
        serve."""

    def record_site(self):
        return getattr(self, self.record_name).site

    def time_zone_site(self):
        return self.record_site()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        record = self.load_record()
        # `self.record` is what a ServiceFormMixin saves; `record_loaded()` may name another.
        self.record = record
        setattr(self, self.record_name, record)
        self.record_loaded()
        if self.permission and not request.user.has_perm(self.permission, record):
            raise PermissionDenied(self.denied_message)
        self.check_record()
        return super().dispatch(request, *args, **kwargs)


class RecordHistoryView(NearestPageMixin, LoginRequiredMixin, ListView):
    """Who changed what, when and why, for one record and the records that belong to it.

    Subclasses implement `get_records()`, which must enforce the user's site scope (raise Http404
    outside it) and return the subject record first, then the records that belong to it or
    querysets of them (see `history_for`).

    The values of confidential records (settings.AUDIT_CONFIDENTIAL_MODELS) are replaced by a
    notice, unless the page is that record's own history and checks the record's own permission:
    such a page sets `shows_confidential = True`.

    The subject record is `subject` in the context, and also `subject_name` where one is set
    (the name the page's header knows it by).
    """

    template_name = "audit/history.html"
    context_object_name = "entries"
    paginate_by = 50
    permission_required = "audit.view_logentry"
    shows_confidential = False
    subject_name = ""

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
        if self.subject_name:
            context[self.subject_name] = self.records[0]
        context["shows_confidential"] = self.shows_confidential
        context["confidential_notice"] = CONFIDENTIAL_NOTICE
        return context
