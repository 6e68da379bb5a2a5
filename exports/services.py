"""Starting and writing a de-identified export, as its requester (audited: the Export row)."""

import hashlib
import importlib.metadata
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Site, Study, User
from accounts.permissions import EXPORT_PERMISSION, ROLE_PERMISSIONS
from accounts.selectors import user_scope
from audit.context import acting_as, records_actor
from exports.datasets import REGISTRY, ExportContext
from exports.deidentify import DateMode, Deidentifier
from exports.models import Export
from exports.package import manifest_bytes, write_package
from exports.sdtm import domains_for
from exports.xpt import XptError

# A CSV file per dataset; CDISC SDTM domains as SAS transport v5 files (exports.sdtm).
FORMATS = ("csv", "sdtm")
REFUSED = "Only the study's data managers and administrators can export its data."
NO_DATASET = "Choose at least one dataset."
FAILED = "The export failed on the server (its log has the error); start it again."
# An XptError names where a value is and why it does not fit, never the value.
NOT_FITTING = "A value does not fit its SDTM variable ({error}); the export stopped."
NO_FORMAT = "Choose at least one format."


class ExportRefused(PermissionDenied):
    pass


@dataclass(frozen=True)
class ExportOptions:
    datasets: tuple[str, ...] = field(default_factory=lambda: tuple(REGISTRY))
    formats: tuple[str, ...] = ("csv",)
    sites: tuple[str, ...] = ()  # site numbers; none: every site
    dates: DateMode = DateMode.SHIFT
    stable_pseudonyms: bool = False

    def __post_init__(self):
        # Each chosen once, in the order chosen: a package never holds one file twice.
        for name in ("datasets", "formats", "sites"):
            object.__setattr__(self, name, tuple(dict.fromkeys(getattr(self, name))))

    def as_json(self) -> dict:
        lists = {key: list(getattr(self, key)) for key in ("datasets", "formats", "sites")}
        return {**asdict(self), **lists, "dates": str(self.dates)}

    @classmethod
    def from_json(cls, values: dict) -> "ExportOptions":
        lists = {key: tuple(values[key]) for key in ("datasets", "formats", "sites")}
        return cls(**{**values, **lists, "dates": DateMode(values["dates"])})

    def parts(self) -> list[str]:
        """What the package writes, in order, as its progress names them: each CSV dataset,
        then each SDTM domain."""
        parts = list(self.datasets) if "csv" in self.formats else []
        if "sdtm" in self.formats:
            parts += domains_for(self.datasets)
        return parts

    def validate(self, study: Study) -> None:
        errors = {}
        if unknown := sorted(set(self.datasets) - set(REGISTRY)):
            errors["datasets"] = f"No such dataset: {', '.join(unknown)}."
        if not self.datasets:
            errors["datasets"] = NO_DATASET
        if unknown := sorted(set(self.formats) - set(FORMATS)):
            errors["formats"] = f"No such format: {', '.join(unknown)} (formats: csv, sdtm)."
        if not self.formats:
            errors["formats"] = NO_FORMAT
        numbers = set(Site.objects.filter(study=study).values_list("number", flat=True))
        if unknown := sorted(set(self.sites) - numbers):
            errors["sites"] = f"The study has no site {', '.join(unknown)}."
        if errors:
            raise ValidationError(errors)


def may_export(user: User, study: Study) -> bool:
    """Whether `user` holds, study-wide in `study`, a role that may export it."""
    roles = user_scope(user).roles_at(None, study.pk)
    return any(EXPORT_PERMISSION in ROLE_PERMISSIONS.get(role, ()) for role in roles)


@records_actor
def export_start(*, actor: User, study: Study, options: ExportOptions) -> Export:
    """The record of an export about to be written, by `actor` (refused unless they may)."""
    if not may_export(actor, study):
        raise ExportRefused(REFUSED)
    options.validate(study)
    with transaction.atomic():
        export = Export(study=study, requested_by=actor, options=options.as_json())
        export.full_clean()
        export.save()
    return export


def export_finish(export: Export, status: str, **values) -> Export:
    """Record that `export` has finished with `status` (and `values`), as its requester."""
    with acting_as(export.requested_by), transaction.atomic():
        # Once: whoever finishes it first (its task, or the sweep of abandoned exports) decides.
        current = Export.objects.select_for_update().get(pk=export.pk)
        if current.status != Export.Status.RUNNING:
            return current
        export.status = status
        export.finished_at = timezone.now()
        for name, value in values.items():
            setattr(export, name, value)
        export.full_clean()
        export.save()
    return export


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def export_write(*, export: Export, out: Path, progress=lambda dataset, rows: None) -> Export:
    """Write the package of `export` to `out` and record what it wrote; an export that fails
    is recorded as failed (and the error raised)."""
    options = ExportOptions.from_json(export.options)
    ctx = ExportContext(
        study=export.study,
        deidentifier=Deidentifier(
            study_code=export.study.code,
            stable=options.stable_pseudonyms,
            # A new export's pseudonyms: salted with a nonce kept nowhere.
            nonce=secrets.token_hex(16),
        ),
        dates=options.dates,
        sites=options.sites,
    )
    head = {
        "study": export.study.code,
        "export": export.pk,
        "requested_by": export.requested_by.username,
        "requested_at": export.requested_at.isoformat(),
        "options": export.options,
        "software": {"name": "trialsite", "version": importlib.metadata.version("trialsite")},
    }
    out = Path(out)
    try:
        with out.open("wb") as file:
            manifest = write_package(
                file,
                ctx=ctx,
                datasets=list(options.datasets),
                formats=options.formats,
                head=head,
                progress=progress,
            )
    except Exception as error:
        out.unlink(missing_ok=True)  # half a package is no package
        failure = NOT_FITTING.format(error=error) if isinstance(error, XptError) else FAILED
        export_finish(export, Export.Status.FAILED, failure=failure[:300])
        raise
    return export_finish(
        export,
        Export.Status.DONE,
        file_name=out.name,
        size=out.stat().st_size,
        sha256=_sha256_of(out),
        manifest=manifest,
        rows={
            item["dataset"]: item["rows"] for item in manifest["files"] if item["rows"] is not None
        },
    )


def export_study(*, actor: User, study: Study, options: ExportOptions, out: Path) -> Export:
    """Start and write an export at once (the command line's; the page's runs in a task)."""
    export = export_start(actor=actor, study=study, options=options)
    return export_write(export=export, out=out)


def manifest_sha256(export: Export) -> str:
    """The SHA-256 of the export's manifest.json, as in its package."""
    return hashlib.sha256(manifest_bytes(export.manifest)).hexdigest()
