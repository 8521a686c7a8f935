import itertools
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from companies.models import JIANGJIN, Company, Membership
from companies.uscc import make_code

_serial = itertools.count(1)


def next_credit_code() -> str:
    """A valid Jiangjin company code, different each call (positions 9–17 carry a serial number)."""
    return make_code(f"91500116{next(_serial):09d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "jiangjin-demo")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """UserFactory(roles=["reviewer"]) puts the user in those role groups."""
        if create and extracted:
            for key in extracted:
                self.groups.add(Group.objects.get_or_create(name=key)[0])
        if create:
            self.save()


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    credit_code = factory.LazyFunction(next_credit_code)
    name = factory.Sequence(lambda n: f"重庆测试影视文化有限公司{n}")
    legal_representative = "王测试"
    registered_capital = Decimal("5000000.00")
    paid_in_capital = Decimal("2000000.00")
    established_on = date(2022, 6, 1)
    registration_district = JIANGJIN
    tax_district = JIANGJIN
    registered_address = "重庆市江津区白沙镇"
    in_hq_park = False
    contact_person = "赵联系"
    contact_phone = "023-12345678"
    contact_email = "contact@example.com"
    bank_account_name = factory.SelfAttribute("name")
    bank_name = "测试银行江津支行"
    bank_account_number = "6222020000001234567"

    class Params:
        outside_jiangjin = factory.Trait(registration_district="渝中区", tax_district="渝中区")
        in_park = factory.Trait(in_hq_park=True, in_hq_park_since=date(2024, 1, 1))
        banned = factory.Trait(banned_until=factory.LazyFunction(lambda: date.today() + timedelta(days=5 * 365)))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory, roles=["applicant"])
    company = factory.SubFactory(CompanyFactory)
    status = Membership.Status.CONFIRMED


def member_of(company):
    """A confirmed applicant user of the company."""
    return MembershipFactory(company=company).user
