"""What the seeding commands share: the demo (seed_demo) and the benchmark (seed_trial).

Plausible vital signs of a dosing session: a participant's baseline, then a rise peaking about 2
hours after the initial dose and fading over the next hours, with noise. Nothing here writes; the
commands record the values through the flowsheet services like any other reading.

And a cheap password hasher for the synthetic accounts while they are being seeded.
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth.hashers import PBKDF2PasswordHasher

# The chance that a reading left to chance (spike=None) spikes over the systolic threshold.
SPIKE_CHANCE = 0.02
# The highest values generated; and those of a reading kept within the default thresholds.
HIGHEST = {"systolic": 175, "diastolic": 150, "pulse": 125, "temperature": 38.4}
WITHIN_THRESHOLDS = {"systolic": 156, "diastolic": 100, "pulse": 104, "temperature": 37.8}


def baseline_draw(rng: random.Random) -> dict:
    """One participant's resting vital signs (temperature as a float, in °C)."""
    return {
        "systolic": rng.randint(108, 132),
        "diastolic": rng.randint(66, 84),
        "pulse": rng.randint(58, 80),
        "temperature": rng.uniform(36.4, 36.9),
    }


def vital_signs(
    rng: random.Random,
    baseline: dict,
    since_dose: datetime.timedelta,
    *,
    temperature: bool,
    suds: bool,
    spike: bool | None = None,
) -> dict:
    """Blood pressure and pulse at `since_dose` after the initial dose (negative: before it), with
    the temperature and the SUDS score when asked for: keyword arguments of vital_sign_record.

    `spike` None lets about one reading in 50 go over the systolic threshold (160 mmHg); True
    makes this one go over it (161 to 172); False keeps this one within every default threshold
    (systolic 160, diastolic 110, pulse 110, temperature 38.0 °C).
    """
    hours = since_dose.total_seconds() / 3600
    effect = max(0.0, 1 - abs(hours - 2) / 4) if hours > 0 else 0.0
    systolic = round(baseline["systolic"] + 22 * effect + rng.gauss(0, 6))
    diastolic = round(baseline["diastolic"] + 10 * effect + rng.gauss(0, 4))
    pulse = round(baseline["pulse"] + 18 * effect + rng.gauss(0, 5))
    # Drawn whatever `spike` says, so that the values after it do not depend on it.
    chance = rng.random()
    if spike or (spike is None and chance < SPIKE_CHANCE):
        systolic = rng.randint(161, 172)
    top = WITHIN_THRESHOLDS if spike is False else HIGHEST
    systolic = max(95, min(systolic, top["systolic"]))
    diastolic = max(55, min(diastolic, systolic - 25, top["diastolic"]))
    pulse = max(50, min(pulse, top["pulse"]))
    values = {"systolic": systolic, "diastolic": diastolic, "pulse": pulse}
    if temperature:
        value = baseline["temperature"] + 0.5 * effect + rng.gauss(0, 0.15)
        values["temperature"] = Decimal(f"{min(value, top['temperature']):.1f}")
    if suds:
        values["suds"] = max(0, min(10, round(4 - 2 * effect + rng.gauss(0, 1.5))))
    return values


class SyntheticAccountHasher(PBKDF2PasswordHasher):
    """pbkdf2_sha256 with few iterations, for the synthetic accounts while seeding.

    Attesting presence, confirming eligibility and signing each check a password again (two
    checks per dosing session for the attestations alone), which at the production hasher's cost
    would take most of the seeding time. The seeding commands give the accounts the production
    hasher's hash once seeding is done; use it with override_settings(PASSWORD_HASHERS=...).
    """

    iterations = 1000


SEED_HASHERS = [f"{__name__}.SyntheticAccountHasher"]
