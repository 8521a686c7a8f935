"""Demo accounts for a local or staging installation. Idempotent; refused in production."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from companies.models import Company, Membership
from companies.uscc import make_code
from invest.roles import ADMIN_ROLES, ensure_groups

DEMO_PASSWORD = "jiangjin-demo"
DEMO_USERS = [
    ("applicant", "applicant", "白沙影业演示账号"),
    ("clerk", "clerk", "受理员"),
    ("reviewer", "reviewer", "初审员"),
    ("expert", "expert", "评审专家"),
    ("approver", "approver", "审定人"),
    ("finance", "finance", "财务"),
    ("manager", "manager", "管理员"),
]
DEMO_COMPANY_CODE = make_code("91500116MA5U000D1")


class Command(BaseCommand):
    help = "Create the demo accounts (password jiangjin-demo) and seed the policy catalogue. Never in production."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo is refused in production: demo accounts have a published password.")
        if "seed_policies" in get_commands():
            call_command("seed_policies", verbosity=options["verbosity"])
        with transaction.atomic():
            ensure_groups()
            company, _ = Company.objects.get_or_create(
                credit_code=DEMO_COMPANY_CODE,
                defaults={
                    "name": "重庆白沙影业有限公司（演示）",
                    "legal_representative": "张演示",
                    "registered_capital": "10000000.00",
                    "paid_in_capital": "6000000.00",
                    "established_on": "2023-03-15",
                    "registration_district": "江津区",
                    "tax_district": "江津区",
                    "registered_address": "重庆市江津区白沙镇影视城大道1号",
                    "in_hq_park": True,
                    "in_hq_park_since": "2023-05-01",
                    "contact_person": "李联系",
                    "contact_phone": "023-00000000",
                    "contact_email": "demo@example.com",
                    "bank_account_name": "重庆白沙影业有限公司（演示）",
                    "bank_name": "演示银行江津支行",
                    "bank_account_number": "6222000000000001234",
                },
            )
            User = get_user_model()
            for username, role, first_name in DEMO_USERS:
                user, created = User.objects.get_or_create(username=username, defaults={"first_name": first_name})
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.save()
                user.groups.add(Group.objects.get(name=role))
                if role in ADMIN_ROLES and not user.is_staff:
                    user.is_staff = True
                    user.save(update_fields=["is_staff"])
                if role == "applicant":
                    Membership.objects.get_or_create(
                        user=user, company=company, defaults={"status": Membership.Status.CONFIRMED}
                    )
            admin, created = User.objects.get_or_create(
                username="admin", defaults={"is_staff": True, "is_superuser": True, "first_name": "系统管理员"}
            )
            if created:
                admin.set_password(DEMO_PASSWORD)
                admin.save()
        self.stdout.write(
            "Demo accounts ready (password: {}): {}, admin".format(
                DEMO_PASSWORD, ", ".join(u for u, _, _ in DEMO_USERS)
            )
        )
