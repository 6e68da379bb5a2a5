import datetime

import factory

from participants.models import Participant, ParticipantIdentity
from tests.accounts.factories import SiteFactory


class ParticipantFactory(factory.django.DjangoModelFactory):
    """A participant in screening; pass status/study_code/enrolled_on for other states."""

    class Meta:
        model = Participant

    site = factory.SubFactory(SiteFactory)
    screening_number = factory.Sequence(lambda n: f"SCR00-{n + 1:04d}")


class EnrolledParticipantFactory(ParticipantFactory):
    status = Participant.Status.ENROLLED
    study_code = factory.Sequence(lambda n: f"S00-{n + 1:04d}")
    enrolled_on = datetime.date(2026, 6, 1)


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParticipantIdentity

    participant = factory.SubFactory(ParticipantFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = datetime.date(1980, 5, 17)
    sex = ParticipantIdentity.Sex.FEMALE
    phone = "+44 20 7946 0000"
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    city = "Testford"
