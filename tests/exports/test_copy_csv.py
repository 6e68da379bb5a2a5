"""The CSV PostgreSQL writes (exports.copy_csv, COPY with the de-identification in SQL) is, byte
for byte, the Python writer's, for every dataset it writes, in both date modes."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exports import copy_csv
from exports.datasets import REGISTRY, ExportContext
from exports.deidentify import DateMode, Deidentifier
from exports.package import write_csv_rows
from sessions_app.models import VitalSignReading
from tests.participants.factories import EnrolledParticipantFactory
from tests.sessions_app.factories import reading_record

pytestmark = pytest.mark.django_db

# Every dataset but the adverse events, whose verbatim term is scrubbed of identity in Python,
# and the participants, whose country is given as its ISO code (pycountry's lookup).
WRITTEN_BY_COPY = {
    "visits",
    "dosing_sessions",
    "doses",
    "vital_signs",
    "screening",
    "alerts",
}


@pytest.fixture
def varied(seeded, therapist, site2):
    """The seeded study with readings of every kind of value (decimals, SUDS alone, several
    flags), a site in another time zone and a participant never dosed (no study day)."""
    site2.time_zone = "America/New_York"
    site2.save()
    session = seeded["session"]
    for minutes, values in (
        (50, {"temperature": Decimal("37.0"), "suds": 0}),
        (51, {"suds": 10}),
        (70, {"systolic": 182, "diastolic": 112, "pulse": 131, "temperature": Decimal("38.4")}),
        (0, {"systolic": 121, "diastolic": 80, "pulse": 64}),
    ):
        at = session.started_at + datetime.timedelta(minutes=minutes, seconds=59)
        reading_record(session, therapist, at, **values)
    EnrolledParticipantFactory(site=seeded["participant1"].site)
    assert VitalSignReading.objects.exclude(flags=[]).exists()
    return seeded


def _both(dataset, ctx) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
    by_python, by_copy = io.BytesIO(), io.BytesIO()
    python_rows = write_csv_rows(dataset, ctx, by_python, lambda rows: None)
    copy_rows = copy_csv.write_rows(dataset, ctx, by_copy, lambda rows: None, every=2)
    return (python_rows, by_python.getvalue()), (copy_rows, by_copy.getvalue())


def test_the_datasets_postgresql_writes_are_those_with_an_sql_form_of_every_column():
    assert {name for name, d in REGISTRY.items() if copy_csv.copyable(d)} == WRITTEN_BY_COPY
    assert copy_csv.copy_problems(REGISTRY["adverse_events"]) == [
        f"adverse_events.{name}: no SQL form of its scrubbed"
        for name in ("verbatim_term", "meddra_llt_term", "meddra_pt_term")
    ]


@pytest.mark.parametrize("dates", list(DateMode))
@pytest.mark.parametrize("stable", [True, False])
@pytest.mark.parametrize("name", sorted(WRITTEN_BY_COPY))
def test_copy_writes_the_bytes_the_python_writer_writes(varied, study, name, dates, stable):
    ctx = ExportContext(
        study=study,
        deidentifier=Deidentifier(study_code=study.code, stable=stable, nonce="n0nce"),
        dates=dates,
    )
    (python_rows, python_csv), (copy_rows, copy_csv_bytes) = _both(REGISTRY[name], ctx)
    assert python_rows > 0
    assert copy_rows == python_rows
    assert copy_csv_bytes == python_csv


def test_the_sites_asked_for_are_the_rows_copied(varied, study):
    ctx = ExportContext(
        study=study,
        deidentifier=Deidentifier(study_code=study.code, stable=True, nonce=""),
        sites=("02",),
    )
    (python_rows, python_csv), (copy_rows, copy_csv_bytes) = _both(REGISTRY["vital_signs"], ctx)
    everything = ExportContext(study=study, deidentifier=ctx.deidentifier)
    all_rows = copy_csv.write_rows(
        REGISTRY["vital_signs"], everything, io.BytesIO(), lambda rows: None, every=100
    )
    assert 0 < copy_rows == python_rows < all_rows
    assert copy_csv_bytes == python_csv


def test_progress_is_reported_as_rows_are_copied(varied, study):
    ctx = ExportContext(
        study=study, deidentifier=Deidentifier(study_code=study.code, stable=True, nonce="")
    )
    reported = []
    copy_csv.BUFFER_BYTES, saved = 1, copy_csv.BUFFER_BYTES
    try:
        rows = copy_csv.write_rows(
            REGISTRY["vital_signs"], ctx, io.BytesIO(), reported.append, every=2
        )
    finally:
        copy_csv.BUFFER_BYTES = saved
    assert rows == VitalSignReading.objects.filter(voided_at__isnull=True).count()
    assert reported == list(range(2, rows + 1, 2))


def test_copying_takes_as_many_queries_whatever_the_rows(varied, study, therapist):
    def queries_to_copy() -> int:
        deidentifier = Deidentifier(study_code=study.code, stable=False, nonce="n")
        ctx = ExportContext(study=study, deidentifier=deidentifier)
        with CaptureQueriesContext(connection) as queries:
            copy_csv.write_rows(
                REGISTRY["vital_signs"], ctx, io.BytesIO(), lambda rows: None, every=1000
            )
        return len(queries)

    before = queries_to_copy()
    session = varied["session"]
    for minutes in range(135, 175, 8):
        at = session.started_at + datetime.timedelta(minutes=minutes)
        reading_record(session, therapist, at, pulse=80)
    EnrolledParticipantFactory(site=varied["participant2"].site)
    assert queries_to_copy() == before
