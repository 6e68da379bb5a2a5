"""What the benchmark's seeders after seed_trial share: the study they add to, its monitor and
sites, and the manifest bench/run.py reads."""

import json
from pathlib import Path

from django.core.management.base import CommandError

from accounts.models import Role, Site, Study, User


def bench_study(code: str) -> tuple[Study, User, list[Site]]:
    """The study seed_trial made, its study-wide monitor and its sites in order."""
    study = Study.objects.filter(code=code).first()
    if study is None:
        raise CommandError(f"No study {code}: run seed_trial first.")
    monitor = User.objects.get(
        memberships__study=study, memberships__role=Role.MONITOR, memberships__site=None
    )
    sites = list(Site.objects.filter(study=study).order_by("number"))
    if not sites:
        raise CommandError("The study has no sites.")
    return study, monitor, sites


def manifest_add(path: str | None, *, monitor: User, sites: list[Site], counts: dict, **extra):
    """Add to seed_trial's manifest (if given) the monitor's account, the sites' ids (for the
    pages' site filters), `counts` and `extra`."""
    if not path:
        return
    manifest_path = Path(path)
    manifest = json.loads(manifest_path.read_text())
    manifest["monitor"] = monitor.username
    manifest["site_ids"] = [site.pk for site in sites]
    manifest["counts"].update(counts)
    manifest.update(extra)
    manifest_path.write_text(json.dumps(manifest, indent=2))
