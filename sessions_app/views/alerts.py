"""Vital-sign alerts: the list the medical monitor works from, and acknowledging one."""

import django_filters
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from records import redaction
from records.edits import StepRefused
from records.forms import site_filter
from records.views import RecordListView, next_url
from sessions_app import selectors
from sessions_app.models import DoseAdministration, VitalSignAlert
from sessions_app.services.alerts import (
    ACKNOWLEDGE_ALERT,
    ACKNOWLEDGE_REFUSED,
    alert_acknowledge,
)

# The filter is this page's alone, so it lives beside the view (sessions_app/forms/ holds the
# flowsheet's forms).


class AlertFilter(django_filters.FilterSet):
    OPEN, ACKNOWLEDGED, RETRACTED = "open", "acknowledged", "retracted"

    status = django_filters.ChoiceFilter(
        label="Status",
        choices=[
            (OPEN, "Open"),
            (ACKNOWLEDGED, "Acknowledged"),
            (RETRACTED, "Retracted (reading corrected or struck through)"),
        ],
        method="filter_status",
        empty_label="All",
    )
    site = site_filter(selectors.VIEW_ALERT)

    class Meta:
        model = VitalSignAlert
        fields = ["status", "site"]

    def __init__(self, data=None, *args, **kwargs):
        # A link from before the alert's "withdrawn" became "retracted" still filters.
        if data is not None and data.get("status") == "withdrawn":
            data = data.copy()
            data["status"] = self.RETRACTED
        super().__init__(data, *args, **kwargs)

    def filter_status(self, queryset, name, value):
        if value == self.OPEN:
            return selectors.open_alerts(queryset)
        if value == self.ACKNOWLEDGED:
            return queryset.filter(acknowledged_at__isnull=False)
        if value == self.RETRACTED:
            return queryset.filter(retracted_at__isnull=False)
        return queryset


def alerts_with_dose_time(queryset):
    """Alerts annotated with their session's initial dose time (one subquery, no extra query)."""
    initial = DoseAdministration.objects.filter(
        session_id=OuterRef("reading__session_id"),
        kind=DoseAdministration.Kind.INITIAL,
        voided_at__isnull=True,
    ).values("administered_at")[:1]
    return queryset.annotate(initial_dose_at=Subquery(initial))


def alert_rows(*, user, alerts) -> list[VitalSignAlert]:
    """Decorate each alert with what its row shows; runs no query (everything is loaded)."""
    rows = list(alerts)
    for alert in rows:
        reading = alert.reading
        alert.items = [
            {
                "label": selectors.MEASUREMENT_LABELS[item["measurement"]][0],
                "unit": selectors.MEASUREMENT_LABELS[item["measurement"]][1],
                "value": item["value"],
                "limit": item["limit"],
            }
            for item in alert.exceeded
            if item.get("measurement") in selectors.MEASUREMENT_LABELS
        ]
        dose_at = getattr(alert, "initial_dose_at", None)
        alert.elapsed_label = selectors.elapsed_label(
            selectors.elapsed_minutes(reading.measured_at, dose_at)
        )
        # A retracted alert is closed: nothing to acknowledge.
        alert.can_acknowledge = (
            alert.acknowledged_at is None
            and alert.retracted_at is None
            and user.has_perm(ACKNOWLEDGE_ALERT, alert)
        )
    return rows


class AlertListView(RecordListView):
    """Alerts of the user's sites (all sites of the study for a monitor), newest first."""

    permission_required = selectors.VIEW_ALERT
    filterset_class = AlertFilter
    template_name = "sessions_app/alert_list.html"
    context_object_name = "alerts"

    def get_queryset(self):
        return selectors.alert_list(user=self.request.user).order_by("-raised_at", "-pk")

    def paginate_queryset(self, queryset, page_size):
        """The page's alerts with their dose times; counted without them, whose join to the
        readings made the count scan every reading of the study."""
        paginator, page, rows, is_paginated = super().paginate_queryset(queryset, page_size)
        if paginator.count:
            page.object_list = rows = alerts_with_dose_time(queryset)[
                page.start_index() - 1 : page.end_index()
            ]
        return paginator, page, rows, is_paginated

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["alerts"] = alert_rows(user=self.request.user, alerts=context["alerts"])
        redaction.prime(self.request, [alert.reading for alert in context["alerts"]])
        return context


class AlertAcknowledgeView(LoginRequiredMixin, View):
    """POST only: the medical monitor acknowledges one alert of their study.

    A step the alert no longer allows (already acknowledged, or retracted) is refused with a
    message on the list, not an error page.
    """

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            alert = selectors.alert_list(user=request.user).get(pk=kwargs["pk"])
        except VitalSignAlert.DoesNotExist:
            raise Http404("No such alert.") from None
        if not request.user.has_perm(ACKNOWLEDGE_ALERT, alert):
            raise PermissionDenied(ACKNOWLEDGE_REFUSED)
        try:
            alert_acknowledge(actor=request.user, alert=alert)
        except StepRefused as error:  # the alert's state, or a locked casebook
            messages.warning(request, str(error))
        else:
            messages.success(request, f"Alert acknowledged: {selectors.alert_summary(alert)}.")
        return redirect(next_url(request, reverse("sessions_app:alerts")))
