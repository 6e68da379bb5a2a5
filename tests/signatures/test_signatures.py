import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from audit.models import LogEntry
from signatures.forms import SignatureForm
from signatures.models import Signature
from signatures.selectors import signature_rows
from signatures.services import SignatureRefusedError, signature_sign, signature_void_outdated
from tests.participants.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def test_signing_records_printed_name_meaning_time_and_version(investigator, site1, password):
    record = ParticipantFactory(site=site1)
    signature = signature_sign(
        signer=investigator, record=record, meaning=Signature.Meaning.REVIEWED, password=password
    )
    assert signature.printed_name == investigator.printed_name
    assert signature.meaning == "reviewed"
    assert signature.signed_at is not None
    assert signature.record_version == record.version
    assert signature.record == record
    assert signature.is_valid_for(record)
    assert LogEntry.objects.get_for_object(signature).filter(action=LogEntry.Action.CREATE).exists()


def test_wrong_password_signs_nothing(investigator, site1):
    record = ParticipantFactory(site=site1)
    with pytest.raises(SignatureRefusedError):
        signature_sign(signer=investigator, record=record, meaning="approved", password="nope")
    assert not Signature.objects.exists()


def test_inactive_user_cannot_sign(investigator, site1, password):
    investigator.is_active = False
    investigator.save()
    with pytest.raises(SignatureRefusedError):
        signature_sign(
            signer=investigator,
            record=ParticipantFactory(site=site1),
            meaning="approved",
            password=password,
        )


def test_a_change_of_the_record_voids_the_signature(investigator, site1, password):
    record = ParticipantFactory(site=site1)
    signature = signature_sign(
        signer=investigator, record=record, meaning="approved", password=password
    )
    record.version += 1
    record.save()
    # Void at once by version, even before the service stamps it.
    assert not signature.is_valid_for(record)
    assert signature_rows(record=record)[0]["valid"] is False
    voided = signature_void_outdated(record=record, reason="Corrected date")
    assert voided == [signature]
    signature.refresh_from_db()
    assert signature.voided_at is not None and signature.void_reason == "Corrected date"
    entry = LogEntry.objects.get_for_object(signature).order_by("-seq").first()
    assert entry.reason == "Corrected date"
    # A signature of the current version is left alone.
    fresh = signature_sign(
        signer=investigator, record=record, meaning="approved", password=password
    )
    assert signature_void_outdated(record=record, reason="noop") == []
    fresh.refresh_from_db()
    assert fresh.voided_at is None


def test_form_leaves_the_password_check_to_the_service(investigator, password):
    # Checked once, by signature_sign, so that a wrong password counts once toward the lockout.
    assert SignatureForm(data={"password": "wrong"}, signer=investigator).is_valid()
    assert SignatureForm(data={"password": password}, signer=investigator).is_valid()
    assert not AccessAttempt.objects.exists()


def test_form_requires_the_password(investigator):
    form = SignatureForm(data={"password": ""}, signer=investigator)
    assert not form.is_valid()
    assert list(form.errors) == ["password"]


def sign_at_the_device(signer, record, typed):
    """Sign with the request of the page, as the views do."""
    request = RequestFactory().post("/sign/")
    return signature_sign(
        signer=signer, record=record, meaning="approved", password=typed, request=request
    )


def test_a_wrong_signing_password_counts_once_per_attempt(investigator, site1):
    record = ParticipantFactory(site=site1)
    for attempt in (1, 2):
        with pytest.raises(SignatureRefusedError, match="The password is not correct"):
            sign_at_the_device(investigator, record, "nope")
        assert AccessAttempt.objects.get(username="investigator").failures_since_start == attempt
    assert not Signature.objects.exists()


def test_a_locked_out_signer_cannot_sign_with_the_right_password(
    investigator, site1, password, settings
):
    record = ParticipantFactory(site=site1)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        with pytest.raises(SignatureRefusedError):
            sign_at_the_device(investigator, record, "nope")
    with pytest.raises(SignatureRefusedError, match="this account is locked") as caught:
        sign_at_the_device(investigator, record, password)
    assert str(caught.value).endswith("Nothing was signed.")
    assert not Signature.objects.exists()


def test_the_right_signing_password_signs_and_clears_earlier_failures(
    investigator, site1, password
):
    record = ParticipantFactory(site=site1)
    with pytest.raises(SignatureRefusedError):
        sign_at_the_device(investigator, record, "nope")
    assert sign_at_the_device(investigator, record, password).is_valid_for(record)
    assert not AccessAttempt.objects.exists()
