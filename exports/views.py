"""The export page of the study's data managers and administrators: the form that starts an
export and the study's exports, an export's progress (a page, and its JSON for the page's
script), and the download of its package (audited; refused once it is no longer kept)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.permissions import EXPORT_PERMISSION
from exports import runs, selectors
from exports.forms import ExportForm
from exports.models import Export
from exports.services import ExportOptions
from records.forms import add_service_error
from records.views import nearest_page


class ExportAccessMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = EXPORT_PERMISSION
    permission_denied_message = "Only the study's data managers and administrators export data."


def export_state(export: Export) -> dict:
    """What the progress bar shows: rows written per dataset (each CSV file, then each SDTM
    domain), how many are written of those asked for, and the download once there is one."""
    asked = ExportOptions.from_json(export.options).parts()
    done = export.status == Export.Status.DONE
    progress = getattr(export, "progress", None)
    rows = export.rows if export.status != Export.Status.RUNNING else (progress and progress.rows)
    rows = rows or {}
    # The package writes the datasets in order: each one after the one being written is done.
    written = len(asked) if done else max(len(rows) - 1, 0)
    return {
        "status": export.status,
        "status_label": export.get_status_display(),
        "finished": export.status != Export.Status.RUNNING,
        "failure": export.failure,
        "rows": [{"dataset": name, "rows": rows.get(name)} for name in asked],
        "total_rows": sum(rows.get(name) or 0 for name in asked),
        "written": written,
        "datasets": len(asked),
        "percent": round(100 * written / len(asked)) if asked else 100,
        "download_url": reverse("exports:download", args=[export.pk])
        if runs.is_downloadable(export)
        else "",
    }


class ExportListView(ExportAccessMixin, FormView):
    """The form that starts an export of the study, and the study's exports, 25 a page."""

    template_name = "exports/export_list.html"
    form_class = ExportForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated or not request.user.has_perm(EXPORT_PERMISSION):
            return super().dispatch(request, *args, **kwargs)
        self.studies = selectors.exportable_studies(request.user)
        if not self.studies:
            return self.handle_no_permission()
        chosen = request.GET.get("study", "")
        self.study = next((s for s in self.studies if s.code == chosen), self.studies[0])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "study": self.study}

    def form_valid(self, form):
        try:
            export = runs.export_queue(
                actor=self.request.user, study=self.study, options=form.options()
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Export {export.pk} started.")
        return redirect("exports:detail", pk=export.pk)

    def get_context_data(self, **kwargs):
        exports = selectors.export_list(user=self.request.user, study=self.study)
        page = nearest_page(Paginator(exports, 25), self.request.GET.get("page"))
        rows = [(export, export_state(export)) for export in page]
        return super().get_context_data(
            **kwargs,
            study=self.study,
            studies=self.studies,
            page_obj=page,
            is_paginated=page.has_other_pages(),
            exports=rows,
            keep_days=settings.EXPORT_KEEP_DAYS,
        )


class ExportDetailView(ExportAccessMixin, TemplateView):
    """An export's options, its progress bar (the script refreshes it) and its download."""

    template_name = "exports/export_detail.html"

    def get_context_data(self, **kwargs):
        export = selectors.export_get(user=self.request.user, pk=self.kwargs["pk"])
        return super().get_context_data(
            **kwargs,
            export=export,
            state=export_state(export),
            kept_until=runs.kept_until(export),
        )


class ExportProgressView(ExportAccessMixin, View):
    """The export's progress as JSON, polled by the detail page's script."""

    def get(self, request, pk):
        return JsonResponse(export_state(selectors.export_get(user=request.user, pk=pk)))


class ExportDownloadView(ExportAccessMixin, View):
    """The export's package (a ZIP), recorded in the audit trail; gone once no longer kept."""

    def get(self, request, pk):
        export = selectors.export_get(user=request.user, pk=pk)
        if export.status != Export.Status.DONE:
            raise Http404("This export has no package (yet).")
        path = runs.package_path(export)
        if not runs.is_downloadable(export) or not path.is_file():
            context = {
                "export": export,
                "error_title": "Export no longer kept",
                "keep_days": settings.EXPORT_KEEP_DAYS,
            }
            return render(request, "exports/export_gone.html", context, status=410)
        runs.export_download_record(actor=request.user, export=export)
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=f"{export.study.code}-export-{export.pk}.zip",
            content_type="application/zip",
        )
