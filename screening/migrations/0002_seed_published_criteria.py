"""Seeds the published eligibility criteria of MAPP1 (NCT03537014) and MAPP2 (NCT04077437).

The two sets differ only in the CAPS-5 threshold (35 vs 28). A study administrator picks one for a
study (StudyScreeningConfig) or copies and edits one in the admin.
"""

from decimal import Decimal

from django.db import migrations

INCLUSION, EXCLUSION = "inclusion", "exclusion"


def criteria(caps5_threshold: int) -> list[tuple]:
    # (code, kind, text, measurement, operator, bound)
    return [
        ("I1", INCLUSION, "Aged 18 or over on the day of screening", "age_years", ">=", 18),
        ("I2", INCLUSION, "PTSD for at least 6 months", "ptsd_duration_months", ">=", 6),
        (
            "I3",
            INCLUSION,
            f"CAPS-5 total severity score of {caps5_threshold} or more",
            "caps5_total",
            ">=",
            caps5_threshold,
        ),
        ("I4", INCLUSION, "Negative pregnancy test, where applicable",
         "pregnancy_test_positive", "==", 0),
        ("I5", INCLUSION, "Agrees to use effective contraception where applicable", "", "", None),
        ("I6", INCLUSION, "Agrees to name a support contact who can be reached", "", "", None),
        ("I7", INCLUSION, "Agrees to the recording of therapy sessions", "", "", None),
        ("I8", INCLUSION, "Agrees to stay overnight after each experimental session",
         "", "", None),
        ("E1", EXCLUSION, "Primary psychotic disorder", "", "", None),
        ("E2", EXCLUSION, "Bipolar I disorder", "", "", None),
        ("E3", EXCLUSION, "Dissociative identity disorder", "", "", None),
        ("E4", EXCLUSION, "Eating disorder with active purging", "", "", None),
        ("E5", EXCLUSION, "Major depressive disorder with psychotic features", "", "", None),
        ("E6", EXCLUSION, "Personality disorder", "", "", None),
        ("E7", EXCLUSION, "Current alcohol or substance use disorder", "", "", None),
        ("E8", EXCLUSION, "Pregnant or lactating", "", "", None),
        ("E9", EXCLUSION, "Uncontrolled hypertension: systolic BP above 140 mmHg",
         "systolic_bp", ">", 140),
        ("E10", EXCLUSION, "Uncontrolled hypertension: diastolic BP above 90 mmHg",
         "diastolic_bp", ">", 90),
        ("E11", EXCLUSION, "Cardiac arrhythmia or another condition made dangerous by a "
         "sympathomimetic", "", "", None),
        ("E12", EXCLUSION, "QTc prolongation: QTc above 450 ms", "qtc_ms", ">", 450),
        ("E13", EXCLUSION, "Active suicidal ideation with intent (C-SSRS level 4 or 5)",
         "cssrs_ideation", ">=", 4),
    ]


SETS = [
    ("MAPP1", "MAPP1 (NCT03537014) published eligibility criteria", 35),
    ("MAPP2", "MAPP2 (NCT04077437) published eligibility criteria", 28),
]


def seed(apps, schema_editor):
    CriteriaSet = apps.get_model("screening", "CriteriaSet")
    Criterion = apps.get_model("screening", "Criterion")
    for code, name, threshold in SETS:
        criteria_set, _ = CriteriaSet.objects.get_or_create(code=code, defaults={"name": name})
        for order, (ccode, kind, text, measurement, op, bound) in enumerate(criteria(threshold)):
            Criterion.objects.get_or_create(
                criteria_set=criteria_set,
                code=ccode,
                defaults={
                    "kind": kind,
                    "text": text,
                    "measurement": measurement,
                    "operator": op,
                    "bound": None if bound is None else Decimal(bound),
                    "order": order,
                },
            )


def unseed(apps, schema_editor):
    """Reversible only while nothing refers to the seeded sets."""
    CriteriaSet = apps.get_model("screening", "CriteriaSet")
    Criterion = apps.get_model("screening", "Criterion")
    Criterion.objects.filter(criteria_set__code__in=[c for c, _, _ in SETS]).delete()
    CriteriaSet.objects.filter(code__in=[c for c, _, _ in SETS]).delete()


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
