"""Demo accounts for a local or staging installation. Idempotent; refused in production.

The demo company, its applicant and the membership are made the way a real film company gets in: the
applicant registers on the register page's form, registers the company with a business licence
(companies.services.register_company), and the demo manager confirms it (decide_registration), which
creates the company and the confirmed membership and grants the applicant role. The office accounts
are made through the office's account service (invest.accounts.services). The registry facts a
licence does not carry (capital, founding date, park) come in through the manager's import service, and
the bank details through the member's profile edit, as on the pages.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from companies import services as companies
from companies.forms import RegistrationForm
from companies.models import Company, CompanyRegistration, Membership
from companies.uscc import make_code
from invest.roles import ensure_groups

DEMO_PASSWORD = "jiangjin-demo"
OFFICE_USERS = [
    ("clerk", "clerk", "受理员"),
    ("reviewer", "reviewer", "初审员"),
    ("expert", "expert", "评审专家"),
    ("approver", "approver", "审定人"),
    ("finance", "finance", "财务"),
    ("manager", "manager", "管理员"),
]
# The manager first: it creates the others, as on the office's account pages.
OFFICE_USERS_IN_ORDER = sorted(OFFICE_USERS, key=lambda u: u[1] != "manager")
APPLICANT = ("applicant", "白沙影业演示账号", "applicant@example.com")
DEMO_USERS = [(APPLICANT[0], "applicant", APPLICANT[1]), *OFFICE_USERS]
DEMO_COMPANY_CODE = make_code("91500116MA5U000D1")
DEMO_COMPANY = {
    "credit_code": DEMO_COMPANY_CODE,
    "name": "重庆白沙影业有限公司（演示）",
    "legal_representative": "张演示",
    "registration_district": "江津区",
    "tax_district": "江津区",
    "contact_person": "李联系",
    "contact_phone": "023-00000000",
    "contact_email": "demo@example.com",
}
# What the registry holds beyond the licence, as the manager's import (companies.services.import_rows) brings it.
DEMO_FACTS = {
    "统一社会信用代码": DEMO_COMPANY_CODE,
    "企业名称": DEMO_COMPANY["name"],
    "注册资本": "10000000.00",
    "实缴资本": "6000000.00",
    "成立日期": "2023-03-15",
    "注册区县": "江津区",
    "税务登记区县": "江津区",
    "入驻重庆影视城总部园区": "是",
    "入驻日期": "2023-05-01",
}
DEMO_PROFILE = {
    "registered_address": "重庆市江津区白沙镇影视城大道1号",
    "bank_account_name": "重庆白沙影业有限公司（演示）",
    "bank_name": "演示银行江津支行",
    "bank_account_number": "6222000000000001234",
}
# A one-page PDF standing in for the scanned licence.
DEMO_LICENCE = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 1/Kids[3 0 R]>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


class Command(BaseCommand):
    help = "Create the demo accounts (password jiangjin-demo) and seed the policy catalogue. Never in production."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo is refused in production: demo accounts have a published password.")
        if "seed_policies" in get_commands():
            call_command("seed_policies", verbosity=options["verbosity"])
        with transaction.atomic():
            ensure_groups()
            manager = self.office_accounts()
        applicant = self.applicant_account()
        self.demo_company(applicant, manager)
        self.stdout.write(
            "Demo accounts ready (password: {}): {}, admin".format(
                DEMO_PASSWORD, ", ".join(u for u, _, _ in DEMO_USERS)
            )
        )

    def office_accounts(self):
        """The superuser (the one shell step of a real install), then the office accounts the way the office's
        account pages make them (invest.accounts.services): the superuser creates the manager, the manager
        the other staff. The demo password replaces the password-set link a real colleague would get."""
        from invest.accounts.services import create_office_account

        User = get_user_model()
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            admin = User.objects.create_superuser("admin", email="", password=DEMO_PASSWORD, first_name="系统管理员")
        actor = admin
        for username, role, full_name in OFFICE_USERS_IN_ORDER:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = create_office_account(
                    actor, username=username, full_name=full_name, email=f"{username}@demo.example.com", roles=[role]
                )
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            if role == "manager":
                actor = user
        return User.objects.get(username="manager")

    def applicant_account(self):
        """The register page's form (the same checks as a visitor's sign-up); the demo password is set after,
        because it is deliberately simple and the form's password validators would refuse it."""
        username, first_name, email = APPLICANT
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            strong = "Demo-" + secrets.token_urlsafe(18)
            form = RegistrationForm(
                data={"username": username, "email": email, "password1": strong, "password2": strong}
            )
            if not form.is_valid():
                raise CommandError(f"demo applicant refused by the register form: {form.errors.as_text()}")
            user = form.save()
            user.first_name = first_name
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def demo_company(self, applicant, manager) -> None:
        company = Company.objects.filter(credit_code=DEMO_COMPANY_CODE).first()
        if company is None:
            registration = CompanyRegistration.objects.filter(
                credit_code=DEMO_COMPANY_CODE, status=CompanyRegistration.Status.REQUESTED
            ).first()
            if registration is None:
                licence = SimpleUploadedFile("营业执照（演示）.pdf", DEMO_LICENCE, content_type="application/pdf")
                registration = companies.register_company(applicant, DEMO_COMPANY, licence)
            companies.decide_registration(registration, manager, confirm=True)
            company = Company.objects.get(credit_code=DEMO_COMPANY_CODE)
            report = companies.import_rows(list(DEMO_FACTS), [list(DEMO_FACTS.values())], actor=manager, source="demo")
            if report.invalid:
                raise CommandError(f"demo company facts refused by the import: {report}")
            company.refresh_from_db()
            companies.update_profile(company, applicant, DEMO_PROFILE)
        membership = Membership.objects.filter(user=applicant, company=company).first()
        if membership is None or membership.status != Membership.Status.CONFIRMED:
            if membership is None or membership.status != Membership.Status.REQUESTED:
                membership = companies.request_membership(applicant, company.credit_code)
            companies.decide_membership(membership, manager, confirm=True)
