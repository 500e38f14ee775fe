"""factory_boy factories for the Agency → User graph."""

import itertools

import factory

from portal import services
from portal.choices import AgencyKind, AgencyLevel
from portal.models import Agency, User

_codes = itertools.count(1)


def next_agency_code() -> str:
    n = next(_codes)
    return f"{n // 10000:03d}.{n // 100 % 100:02d}.{n % 100:02d}.T99"


class AgencyFactory(factory.django.DjangoModelFactory):
    """Pass `parent=<Agency>` for a child; without it the agency is a root."""

    class Meta:
        model = Agency

    code = factory.LazyFunction(next_agency_code)
    name = factory.Sequence(lambda n: f"Cơ quan thử nghiệm {n}")
    level = AgencyLevel.PROVINCE
    kind = AgencyKind.PEOPLES_COMMITTEE

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        return services.create_agency(parent=parent, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"Người dùng {n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.vn")
    password = factory.PostGenerationMethodCall("set_password", "Mat-khau-thu-2026")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
