import factory

from accounts.models import Membership, Role, Site, Study, User

TEST_PASSWORD = "correct-Horse-battery-42"


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"STUDY{n}")
    name = factory.LazyAttribute(lambda o: f"Study {o.code}")


def _free_site_number(study) -> str:
    taken = set(Site.objects.filter(study=study).values_list("number", flat=True))
    return next(f"{n:02d}" for n in range(1, 100) if f"{n:02d}" not in taken)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    study = factory.SubFactory(StudyFactory)
    # The first number the study has not given yet: a sequence would wrap onto a site's "01".
    number = factory.LazyAttribute(lambda o: _free_site_number(o.study))
    name = factory.LazyAttribute(lambda o: f"Site {o.number}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@test.invalid")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.THERAPIST
    site = factory.SubFactory(SiteFactory)
    study = factory.LazyAttribute(lambda o: o.site.study if o.site else StudyFactory())
