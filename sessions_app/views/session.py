"""The ended session: the investigator's signature, and the audit trail of the session."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.views.generic import FormView

from audit.services import ConcurrentEditError
from records.edits import StepRefused
from records.views import RecordHistoryView
from sessions_app import selectors
from sessions_app.models import DosingSession, VitalSignAlert
from sessions_app.services import flowsheet as services
from sessions_app.services.flowsheet.session import ALREADY_SIGNED, SIGN_BEFORE_END, SIGN_REFUSED
from sessions_app.views.flowsheet import SIGN, SessionMixin
from signatures.forms import SignatureForm
from signatures.models import Signature
from signatures.selectors import signatures_for, signed_by
from signatures.services import SignatureRefusedError


class SessionSignView(SessionMixin, FormView):
    permission = SIGN
    denied_message = SIGN_REFUSED
    template_name = "sessions_app/sign.html"

    def get(self, request, *args, **kwargs):
        if self.session.status != DosingSession.Status.ENDED:
            messages.warning(request, SIGN_BEFORE_END)
            return redirect("sessions_app:flowsheet", pk=self.session.pk)
        if signed_by(record=self.session, signer=request.user):
            messages.info(request, ALREADY_SIGNED)
            return redirect("sessions_app:flowsheet", pk=self.session.pk)
        return super().get(request, *args, **kwargs)

    def get_form(self, form_class=None):
        return SignatureForm(
            **self.get_form_kwargs(),
            signer=self.request.user,
            submit_label="Sign the session",
            acknowledgement=self.team_acknowledgement,
            acknowledgement_required=services.TEAM_ACKNOWLEDGEMENT_REQUIRED,
        )

    @cached_property
    def team_acknowledgement(self) -> str:
        """What the investigator acknowledges if they were on the session's team ("" if not)."""
        return services.team_acknowledgement(session=self.session, user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.session_context())
        sheet = selectors.flowsheet_for(session=self.session)
        context.update(
            sheet=sheet,
            flagged=sheet.flagged,
            sign_form=context["form"],
            meaning_label=Signature.Meaning.APPROVED.label,
            statement=services.SIGN_STATEMENT,
            team_acknowledgement=self.team_acknowledgement,
        )
        return context

    def form_valid(self, form):
        try:
            services.dosing_session_sign(
                actor=self.request.user,
                session=self.session,
                password=form.cleaned_data["password"],
                team_acknowledged=form.cleaned_data.get("acknowledged", False),
                request=self.request,
            )
        except SignatureRefusedError as error:
            form.add_error("password", str(error))
            return self.form_invalid(form)
        except ValidationError as error:
            # The acknowledgement asked for since the page was opened (the team was corrected).
            form.add_error(None, error.messages)
            return self.form_invalid(form)
        except ConcurrentEditError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        except StepRefused as error:  # the session's state, or a locked casebook
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, "Session signed.")
        return redirect("sessions_app:flowsheet", pk=self.session.pk)


class SessionHistoryView(RecordHistoryView):
    """The audit trail of the session and everything recorded on it."""

    subject_name = "session"

    def get_records(self):
        session = selectors.session_get(user=self.request.user, pk=self.kwargs["pk"])
        # Querysets, matched inside the audit query: the readings are never loaded here.
        return [
            session,
            session.visit,
            session.administrations.all(),
            session.readings.all(),
            session.observations.all(),
            VitalSignAlert.objects.filter(reading__session=session),
            signatures_for(record=session),
        ]
