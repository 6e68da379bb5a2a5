"""Reads of exports: the studies a user may export, their exports, and one export (another
study's is not found)."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Study, User
from accounts.selectors import user_scope
from exports.models import Export
from exports.services import may_export


def exportable_studies(user: User) -> list[Study]:
    """The studies in which `user` holds a study-wide role that may export, by code."""
    study_ids = {m.study_id for m in user_scope(user).memberships if m.site_id is None}
    studies = Study.objects.filter(pk__in=study_ids).order_by("code")
    return [study for study in studies if may_export(user, study)]


def export_list(*, user: User, study: Study) -> QuerySet[Export]:
    """The exports of `study` (every one of them: its exporters share them), newest first."""
    if not may_export(user, study):
        return Export.objects.none()
    return Export.objects.filter(study=study).select_related("requested_by", "progress")


def export_get(*, user: User, pk: int) -> Export:
    """The export `pk` of a study `user` may export; otherwise not found."""
    study_ids = [study.pk for study in exportable_studies(user)]
    export = (
        Export.objects.filter(pk=pk, study_id__in=study_ids)
        .select_related("study", "requested_by", "progress")
        .first()
    )
    if export is None:
        raise Http404("No such export.")
    return export
