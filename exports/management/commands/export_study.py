"""Export a study's de-identified data into a ZIP, as a named data manager or administrator."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Study, User
from exports.datasets import REGISTRY
from exports.deidentify import DateMode
from exports.services import ExportOptions, ExportRefused, export_study, manifest_sha256


def _listed(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


class Command(BaseCommand):
    help = (
        "Export the study's de-identified data (a ZIP with a CSV file per dataset and/or SDTM "
        "SAS transport files, and a signed manifest), acting as one of its data managers or "
        "administrators."
    )

    def add_arguments(self, parser):
        parser.add_argument("--study", required=True, help="The study's code.")
        parser.add_argument("--out", required=True, help="The ZIP file to write.")
        parser.add_argument("--as", dest="username", required=True, help="Who exports.")
        parser.add_argument(
            "--format", default="csv", help="Formats, comma-separated: csv, sdtm (default: csv)."
        )
        parser.add_argument("--sites", default="", help="Site numbers, e.g. 01,02 (default: all).")
        parser.add_argument(
            "--datasets", default="", help=f"Datasets (default: all): {', '.join(REGISTRY)}."
        )
        parser.add_argument(
            "--dates", choices=[mode.value for mode in DateMode], default=DateMode.SHIFT.value
        )
        parser.add_argument(
            "--stable-pseudonyms",
            action="store_true",
            help="The study's pseudonyms, the same in each export (default: new for this one).",
        )

    def handle(self, *args, **options):
        study = Study.objects.filter(code=options["study"]).first()
        if study is None:
            raise CommandError(f"No study has the code {options['study']}.")
        actor = User.objects.filter(username=options["username"], is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user is called {options['username']}.")
        export_options = ExportOptions(
            datasets=_listed(options["datasets"]) or tuple(REGISTRY),
            formats=_listed(options["format"]),
            sites=_listed(options["sites"]),
            dates=DateMode(options["dates"]),
            stable_pseudonyms=options["stable_pseudonyms"],
        )
        out = Path(options["out"])
        try:
            export = export_study(actor=actor, study=study, options=export_options, out=out)
        except ExportRefused as refused:
            raise CommandError(f"{actor.username}: {refused}") from refused
        except ValidationError as invalid:
            raise CommandError(" ".join(invalid.messages)) from invalid
        self.stdout.write(f"Wrote {out} ({export.size} bytes, SHA-256 {export.sha256})")
        for dataset, rows in export.rows.items():
            self.stdout.write(f"  {dataset}: {rows} rows")
        self.stdout.write(f"manifest.json SHA-256: {manifest_sha256(export)}")
