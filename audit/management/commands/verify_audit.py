from django.core.management.base import BaseCommand

from audit.chain import chain_verify


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain. Exits 0 when intact; otherwise names the first "
        "altered or missing entry and exits 1."
    )

    def handle(self, *args, **options):
        report = chain_verify()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(report.describe()))
            return
        self.stderr.write(self.style.ERROR(report.describe()))
        raise SystemExit(1)
