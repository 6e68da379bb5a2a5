from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from audit.chain import anchors_check, anchors_read, chain_verify, parse_anchor


class Command(BaseCommand):
    help = (
        "Verify the audit trail's keyed hash chain (with AUDIT_CHAIN_KEY and the retired keys), "
        "and that it still holds the anchors kept outside the database. Exits 0 when intact; "
        "otherwise names the first altered, forged or missing entry and exits 1."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect-head",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="A head printed by an earlier run; the chain must still contain it unchanged.",
        )
        parser.add_argument(
            "--anchors",
            type=Path,
            default=None,
            help="Anchor file written by the nightly check (default: AUDIT_ANCHOR_FILE).",
        )

    def handle(self, *args, expect_head, anchors, **options):
        try:
            expected = [parse_anchor(text) for text in expect_head]
        except ValueError as error:
            raise CommandError(str(error)) from error
        path = anchors or (Path(settings.AUDIT_ANCHOR_FILE) if settings.AUDIT_ANCHOR_FILE else None)
        if path is not None:
            try:
                expected += anchors_read(path)
            except ValueError as error:
                raise CommandError(f"{path}: {error}") from error
        try:
            report = chain_verify()
        except ImproperlyConfigured as error:  # no key: nothing can be verified
            raise CommandError(str(error)) from error
        if not report.ok:
            self.stderr.write(self.style.ERROR(report.describe()))
            raise SystemExit(1)
        problem = anchors_check(expected)
        if problem:
            self.stderr.write(self.style.ERROR(problem))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(report.describe()))
        if expected:
            self.stdout.write(f"{len(expected)} anchor(s) found unchanged in the chain.")
