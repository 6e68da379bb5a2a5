"""What the benchmark's seeders after seed_trial share: the study they add to, its monitor and
sites, and the manifest bench/run.py reads."""

import json
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role, Site, Study, User
from audit.context import acting_as, change_reason
from participants.models import Participant
from sessions_app.models import (
    DosingSession,
    StudySessionSettings,
    Visit,
    VitalSignAlert,
    VitalSignReading,
)


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


def account_arguments(parser) -> None:
    """The options every benchmark seeder that makes accounts takes."""
    parser.add_argument("--password", help="Password of every account (default: random).")
    parser.add_argument("--manifest", help="Write accounts and session ids to this JSON file.")


def manifest_write(path: str, manifest: dict) -> Path:
    """Write the manifest bench/run.py reads, readable by its owner only (it holds the
    accounts' password)."""
    manifest_path = Path(path)
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.touch(mode=0o600)
    manifest_path.chmod(0o600)
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return manifest_path


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


REASON = "Synthetic data for the benchmark"


def bench_accounts(
    *,
    study_code: str,
    site_numbers: list[str],
    therapists_per_site: int,
    password: str,
    data_manager: bool = False,
) -> tuple[Study, list[Site]]:
    """The study, its sites and its accounts (set up by the study administrator, through the
    audited models): a study-wide administrator and monitor (and data manager), and per site
    `therapists_per_site` therapists and an investigator, all with `password`."""
    if Study.objects.filter(code=study_code).exists():
        raise CommandError(
            f"Study {study_code} exists already: seed an empty database or pass another "
            "--study-code."
        )
    # One (cheap, see synthetic.SyntheticAccountHasher) hash for every synthetic account.
    hashed = make_password(password)
    prefix = study_code.lower()
    with transaction.atomic():
        admin = _user(f"{prefix}-admin", "Ada", "Admin", hashed, is_staff=True)
        sponsor = [(_user(f"{prefix}-monitor", "Mona", "Monitor", hashed), Role.MONITOR)]
        if data_manager:
            user = _user(f"{prefix}-datamanager", "Dana", "Manager", hashed)
            sponsor.append((user, Role.DATA_MANAGER))
        with acting_as(admin), change_reason(REASON):
            study = Study(
                code=study_code,
                name="Benchmark: MDMA-assisted therapy for PTSD (synthetic data)",
                protocol_number="BENCH-001",
            )
            study.full_clean()
            study.save()
            StudySessionSettings.objects.create(study=study)
            _membership(admin, study, None, Role.STUDY_ADMIN)
            for user, role in sponsor:
                _membership(user, study, None, role)
            sites = []
            for number in site_numbers:
                site = Site(study=study, number=number, name=f"Benchmark site {number}")
                site.full_clean()
                site.save()
                sites.append(site)
                staff = [
                    (f"s{number}-therapist{t}", Role.THERAPIST)
                    for t in range(1, therapists_per_site + 1)
                ] + [(f"s{number}-investigator", Role.INVESTIGATOR)]
                for username, role in staff:
                    first = username.split("-")[1].title()
                    user = _user(f"{prefix}-{username}", first, f"S{number}", hashed)
                    _membership(user, study, site, role)
    return study, sites


def bench_manifest(study: Study, sites: list[Site], password: str, *, therapists_per_site: int):
    """What bench/run.py reads: the accounts, their password, each site's sessions, counts."""
    prefix = study.code.lower()
    out_sites = []
    for site in sites:
        sessions = DosingSession.objects.filter(visit__participant__site=site).values_list(
            "pk", "status"
        )
        out_sites.append(
            {
                "number": site.number,
                "therapists": [
                    f"{prefix}-s{site.number}-therapist{t}"
                    for t in range(1, therapists_per_site + 1)
                ],
                "in_progress": sorted(
                    pk for pk, s in sessions if s == DosingSession.Status.IN_PROGRESS
                ),
                "ended": sorted(pk for pk, s in sessions if s == DosingSession.Status.ENDED),
            }
        )
    in_study = {"visit__participant__site__study": study}
    return {
        "study": study.code,
        "password": password,
        "time_zone": timezone.get_current_timezone_name(),
        "counts": {
            "sites": len(sites),
            "participants": Participant.objects.filter(site__study=study).count(),
            "visits": Visit.objects.filter(participant__site__study=study).count(),
            "dosing_sessions": DosingSession.objects.filter(**in_study).count(),
            "in_progress": DosingSession.objects.filter(
                status=DosingSession.Status.IN_PROGRESS, **in_study
            ).count(),
            "readings": VitalSignReading.objects.filter(
                session__visit__participant__site__study=study
            ).count(),
            "alerts": VitalSignAlert.objects.filter(site__study=study).count(),
        },
        "sites": out_sites,
    }


def seeded_line(counts: dict) -> str:
    """What a seeder made, from bench_manifest's counts, as its summary begins."""
    return (
        f"Seeded {counts['sites']} sites, {counts['participants']} participants, "
        f"{counts['visits']} visits, {counts['dosing_sessions']} dosing sessions "
        f"({counts['in_progress']} in progress), {counts['readings']} readings "
        f"({counts['alerts']} over a threshold)"
    )


def _user(username, first, last, hashed, is_staff=False):
    return User.objects.create(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@bench.invalid",
        password=hashed,
        is_staff=is_staff,
    )


def _membership(user, study, site, role):
    membership = Membership(user=user, study=study, site=site, role=role)
    membership.full_clean()
    membership.save()
