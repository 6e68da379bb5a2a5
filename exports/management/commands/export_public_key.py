"""Print the public key that verifies the exports' signed manifests, for their recipients."""

from django.core.management.base import BaseCommand

from exports.signing import public_key_pem


class Command(BaseCommand):
    help = "Print the PEM public key that verifies the signature (manifest.sig) of each export."

    def handle(self, *args, **options):
        self.stdout.write(public_key_pem(), ending="")
