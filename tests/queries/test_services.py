"""Raising, answering, closing and reopening queries: states, permissions and scope."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import LogEntry
from queries import services
from queries.models import Query, QueryMessage
from records.edits import StepRefused
from safety.services import adverse_event_follow_up_save
from tests.safety.factories import submitted
from tests.sessions_app.factories import reading_correct

pytestmark = pytest.mark.django_db


def test_monitor_raises_an_open_query_on_a_field_with_its_question(query, monitor, reading):
    assert query.state == Query.State.OPEN
    assert query.record == reading
    assert query.field_name == "systolic"
    assert query.participant == reading.participant
    assert "reading at" in query.record_label and "S01-0001" in query.record_label
    (message,) = query.messages.all()
    assert (message.kind, message.author) == ("question", monitor)
    assert message.text == "Is 172 right? Cuff size?"


def test_raising_is_audited(query):
    assert LogEntry.objects.get_for_object(query).filter(action=LogEntry.Action.CREATE).exists()
    assert LogEntry.objects.get_for_object(query.messages.get()).exists()


def test_study_admin_may_raise_a_query(reading, study_admin):
    query = services.query_raise(actor=study_admin, record=reading, text="Please check.")
    assert query.state == Query.State.OPEN and query.field_name == ""


@pytest.mark.parametrize("role", ["therapist", "investigator", "sponsor", "therapist2"])
def test_only_monitors_and_the_study_admin_raise_queries(request, reading, role):
    with pytest.raises(PermissionDenied):
        services.query_raise(actor=request.getfixturevalue(role), record=reading, text="Why?")
    assert not Query.objects.exists()


def test_a_question_needs_text_and_a_queryable_field(reading, monitor):
    with pytest.raises(ValidationError) as error:
        services.query_raise(actor=monitor, record=reading, text="   ")
    assert "text" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.query_raise(actor=monitor, record=reading, field_name="flags", text="Why?")
    assert "field_name" in error.value.message_dict


def test_site_staff_answer_an_open_query(query, therapist):
    query = services.query_answer(actor=therapist, query=query, text="Re-measured: it was 152.")
    assert query.state == Query.State.ANSWERED
    answer = query.messages.get(kind=QueryMessage.Kind.ANSWER)
    assert (answer.author, answer.corrected, answer.correction_entry) == (therapist, False, None)


def test_another_sites_staff_and_the_monitor_cannot_answer(query, therapist2, monitor, sponsor):
    for user in (therapist2, monitor, sponsor):
        with pytest.raises(PermissionDenied):
            services.query_answer(actor=user, query=query, text="An answer")
    assert Query.objects.get(pk=query.pk).state == Query.State.OPEN


def test_an_answer_needs_text(query, therapist):
    with pytest.raises(ValidationError) as error:
        services.query_answer(actor=therapist, query=query, text="")
    assert error.value.message_dict == {"text": [services.TEXT_REQUIRED["answer"]]}


def test_an_answer_with_a_correction_links_the_corrections_audit_entry(query, reading, therapist):
    reading_correct(reading, therapist, reason="Typing error: 152 on the monitor.", systolic=152)
    query = services.query_answer(
        actor=therapist, query=query, text="Corrected to 152.", corrected=True
    )
    answer = query.messages.get(kind=QueryMessage.Kind.ANSWER)
    assert answer.corrected
    assert answer.correction_entry.reason == "Typing error: 152 on the monitor."
    assert answer.correction_entry.changes_dict["systolic"] == [172, 152]


def test_an_answer_with_a_correction_is_refused_without_one(query, therapist):
    with pytest.raises(ValidationError) as error:
        services.query_answer(actor=therapist, query=query, text="Corrected.", corrected=True)
    assert error.value.message_dict == {"corrected": [services.NO_CORRECTION]}
    assert Query.objects.get(pk=query.pk).state == Query.State.OPEN


def test_monitor_closes_an_answered_query(query, therapist, monitor, reading):
    services.query_answer(actor=therapist, query=query, text="Checked: right.")
    query = services.query_close(actor=monitor, query=query, text="Thanks.")
    assert (query.state, query.closed_by) == (Query.State.CLOSED, monitor)
    assert query.record_version_at_close == reading.version
    assert not query.data_changed_since()


def test_monitor_may_close_an_open_query_the_study_admin_only_an_answered_one(
    reading, query, monitor, study_admin, therapist
):
    with pytest.raises(StepRefused):
        services.query_close(actor=study_admin, query=query)
    services.query_close(actor=monitor, query=query)
    other = services.query_raise(actor=monitor, record=reading, text="And the pulse?")
    services.query_answer(actor=therapist, query=other, text="88, checked.")
    # The answer is unread by a monitor: only a monitor closes it now.
    with pytest.raises(StepRefused, match="has not read"):
        services.query_close(actor=study_admin, query=other)
    services.query_answer_read(actor=study_admin, query=other)  # the administrator's reading
    with pytest.raises(StepRefused, match="has not read"):  # is not the monitor's
        services.query_close(actor=study_admin, query=other)
    other = services.query_answer_read(actor=monitor, query=other)
    assert other.answer_read_by == monitor
    assert services.query_close(actor=study_admin, query=other).state == Query.State.CLOSED


def test_a_new_answer_is_unread_again(query, therapist, monitor):
    services.query_answer(actor=therapist, query=query, text="Checked: right.")
    services.query_answer_read(actor=monitor, query=query)
    services.query_reopen(actor=monitor, query=query, text="Which cuff?")
    query = services.query_answer(actor=therapist, query=query, text="Adult large.")
    assert query.answer_unread and query.answer_read_by is None


def test_site_staff_and_sponsor_cannot_close(query, therapist, sponsor):
    for user in (therapist, sponsor):
        with pytest.raises(PermissionDenied):
            services.query_close(actor=user, query=query)


def test_a_closed_query_cannot_be_closed_or_answered_again(query, monitor, therapist):
    services.query_close(actor=monitor, query=query)
    with pytest.raises(StepRefused, match="closed meanwhile by"):
        services.query_close(actor=monitor, query=query)
    with pytest.raises(StepRefused, match="closed meanwhile by"):
        services.query_answer(actor=therapist, query=query, text="Late answer")


def test_monitor_reopens_a_closed_query_with_a_reason(query, monitor, study_admin):
    services.query_close(actor=monitor, query=query)
    with pytest.raises(PermissionDenied):
        services.query_reopen(actor=study_admin, query=query, text="Again")
    with pytest.raises(ValidationError):
        services.query_reopen(actor=monitor, query=query, text="")
    query = services.query_reopen(actor=monitor, query=query, text="The value changed again.")
    assert (query.state, query.closed_at, query.record_version_at_close) == ("open", None, None)
    assert [m.kind for m in query.messages.all()] == ["question", "close", "reopen"]


def test_a_change_after_closure_shows_closed_data_changed_since(query, reading, monitor, therapist):
    services.query_close(actor=monitor, query=query)
    assert Query.objects.get(pk=query.pk).state_label == "Closed"
    reading_correct(reading, therapist, reason="Transcription error.", systolic=150)
    assert Query.objects.get(pk=query.pk).state_label == "Closed, data changed since"


def test_a_change_of_another_field_leaves_a_field_query_closed(query, reading, monitor, therapist):
    """A query on the systolic value is about that value: a corrected diastolic is not news to
    it; a query on the whole record is about every field."""
    whole = services.query_raise(actor=monitor, record=reading, text="Cuff size?")
    services.query_close(actor=monitor, query=query)
    services.query_close(actor=monitor, query=whole)
    reading_correct(reading, therapist, reason="Transcription error.", diastolic=96)
    assert Query.objects.get(pk=query.pk).state_label == "Closed"
    assert Query.objects.get(pk=whole.pk).state_label == "Closed, data changed since"


def test_messages_are_never_changed_or_deleted(query):
    message = query.messages.get()
    message.text = "Rewritten"
    with pytest.raises(RuntimeError):
        message.save()
    with pytest.raises(RuntimeError):
        message.delete()


def test_an_adverse_events_follow_up_answers_its_query_with_a_correction(
    participant1, therapist, investigator, monitor
):
    """A submitted event is corrected by a follow-up report, which its query's answer links."""
    ae = submitted(therapist, investigator, participant1, outcome="recovering")
    query = services.query_raise(
        actor=monitor, record=ae, field_name="outcome", text="Recovered by now?"
    )
    with pytest.raises(ValidationError):
        services.query_answer(actor=therapist, query=query, text="Yes.", corrected=True)
    report = adverse_event_follow_up_save(
        actor=therapist,
        adverse_event=ae,
        reason="Recovered at the follow-up call.",
        final=True,
        expected_version=ae.version,
        expected_report_version=None,
        outcome="recovered",
    )
    query = services.query_answer(
        actor=therapist, query=query, text="Follow-up drafted for signature.", corrected=True
    )
    (answer,) = query.messages.filter(kind="answer")
    assert answer.correction_entry.object_pk == str(report.pk)
