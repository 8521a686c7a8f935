"""Every URL pattern of the project, every role: the answer must be the one written in the table below.

The patterns are found by walking the URL resolver, so a new view (or a new API route) that is not in the
table fails ``test_every_url_pattern_is_in_the_table`` — a reminder to decide, and test, who may reach it.
Path parameters are filled with real objects of company A (see world.py).

Outcomes: OK = 2xx, or a redirect that is not to a login page; LOGIN = redirect to a login page;
400/409 = the view let the user in and refused the (empty) input or the workflow step, with a reason;
401/403/404/405 = refused. Views that only accept POST are checked with an empty POST (and GET must be 405
for a user who is let in).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .world import ROLES, build_world

OK, LOGIN = "ok", "login"
ALL_STAFF = ("clerk", "reviewer", "approver", "finance", "manager", "auditor")
WORKBENCH = (*ALL_STAFF, "expert_assigned", "expert_other")


def row(method: str, default, **per_role):
    """One table row: the method used and the expected outcome per role (``default`` for roles not named)."""
    unknown = set(per_role) - set(ROLES)
    assert not unknown, unknown
    return method, {role: per_role.get(role, default) for role in ROLES}


def logged_in(default, *, anonymous=LOGIN, **per_role):
    return row("GET", default, anonymous=anonymous, **per_role)


def only(roles, outcome=OK, *, method="GET", others=403, anonymous=LOGIN, **per_role):
    return row(method, others, **{"anonymous": anonymous, **{r: outcome for r in roles}, **per_role})


def everyone(outcome=OK, method="GET", **per_role):
    return row(method, outcome, **per_role)


APPLICANT_A_ONLY = {"applicant_a": OK, "applicant_b": 404}

TABLE: dict[str, tuple[str, dict]] = {
    # project pages
    "home": everyone(),
    "healthz": everyone(),
    "set_language": everyone(method="POST"),
    "login": everyone(),
    "logout": everyone(method="POST"),
    "register": everyone(),
    # companies
    "companies:mine": logged_in(OK),
    "companies:join": logged_in(OK),
    "companies:requests": only(["manager"]),
    # the first confirmed member of a company decides its membership requests too (empty POST: sent back)
    "companies:decide": only(["manager", "applicant_a"], method="POST"),
    "companies:register_company": logged_in(OK),
    "companies:registration": only(["manager"], others=404),  # and its requester (tests/companies)
    "companies:registration_decide": only(["manager"], 400, method="POST"),
    "companies:registration_licence": only(["manager"], others=404),
    "companies:end_membership": only(["manager", "applicant_a"], method="POST"),
    "companies:detail": only(["applicant_a", *ALL_STAFF], others=404),
    # the company's document store (单位证照): its members keep it; the office reads the files
    "companies:documents": only(["applicant_a"], others=404, **dict.fromkeys(ALL_STAFF, 403)),
    "companies:document_upload": only(["applicant_a"], 400, method="POST", others=404, **dict.fromkeys(ALL_STAFF, 403)),
    "companies:document_file": only(["applicant_a", *ALL_STAFF], others=404),
    "companies:edit": only(
        ["manager", "applicant_a"],
        others=404,
        **dict.fromkeys(("clerk", "reviewer", "approver", "finance", "auditor"), 403),
    ),
    # the office's company import page (a checked job without errors: the rejected-rows file is a 404)
    "companies:import": only(["manager"]),
    "companies:import_job": only(["manager"]),
    "companies:import_decide": only(["manager"], method="POST"),
    "companies:import_rejected": only(["manager"], 404),
    # office accounts (managers; the superuser too, tests/accounts) and the public password pages
    "accounts:list": only(["manager"]),
    "accounts:new": only(["manager"]),
    "accounts:detail": only(["manager"]),
    "accounts:active": only(["manager"], method="POST"),
    "accounts:send_link": only(["manager"], method="POST"),
    "password_reset": everyone(),
    "password_reset_done": everyone(),
    "password_reset_confirm": everyone(),  # a bad link: the page says so
    "password_reset_complete": everyone(),
    # the audit log (invest.auditlog): auditors and managers read it; GET only
    "auditlog:list": only(["auditor", "manager"]),
    "auditlog:export": only(["auditor", "manager"]),
    # inbox: everyone signed in has one; an entry opens only for its recipient
    "inbox:list": logged_in(OK),
    "inbox:open": logged_in(404, applicant_a=OK),
    "inbox:read_all": row("POST", OK, anonymous=LOGIN),
    # investment (managers)
    "investment:pipeline": only(["manager"]),
    "investment:export": only(["manager"]),
    "investment:lead": only(["manager"]),
    "investment:advance": only(["manager"], method="POST"),
    # an empty form: the manager is let in and told what is missing (400), everyone else refused
    "investment:follow_up": only(["manager"], 400, method="POST"),
    # obligations and the one-step invitation: the world holds none of them, so whoever the check lets in
    # meets a 404 for the missing row (the pages themselves are tested in tests/obligations, tests/invitations)
    "obligations:mine": only(["applicant_a", "applicant_b"]),
    "obligations:office": only(ALL_STAFF),
    "obligations:proposals": only(ALL_STAFF),
    "obligations:detail": logged_in(404),
    "obligations:upload": row("POST", 404, anonymous=LOGIN),
    "obligations:review": row("POST", 404, anonymous=LOGIN),
    "obligations:report_file": logged_in(404),
    "obligations:proposal": only(ALL_STAFF, 404),
    "obligations:forward": only(["approver"], 404, method="POST"),
    "obligations:dismiss": only(["approver"], 404, method="POST"),
    "policies:confirm_invitation": logged_in(404),
    "investment:plan_milestone": only(["manager"], 400, method="POST"),
    "investment:reach_milestone": only(["manager"], 404, method="POST"),
    "investment:company": only(["manager"]),
    # policies
    "policies:calculator": everyone(),
    "policies:item": everyone(),
    "policies:invitations": logged_in(OK),  # a user's own companies' invitations only
    "policies:start_invitation": only(["applicant_a"], method="POST", others=404),
    # portal: applicants
    "portal:my_cases": only(["applicant_a", "applicant_b"]),
    "portal:apply": only(["applicant_a", "applicant_b"]),
    "portal:evaluate": only(["applicant_a", "applicant_b"], method="POST"),
    "portal:case": only(["applicant_a"], applicant_b=404),
    "portal:case_evaluate": only(["applicant_a"], method="POST", applicant_b=404),
    "portal:case_save": only(["applicant_a"], 400, method="POST", applicant_b=404),
    "portal:material_upload": only(["applicant_a"], 400, method="POST", applicant_b=404),
    # a case in expert review: the store's file can no longer be chosen (400 with the reason)
    "portal:material_from_store": only(["applicant_a"], 400, method="POST", applicant_b=404),
    "portal:case_submit": only(["applicant_a"], 400, method="POST", applicant_b=404),
    "portal:case_withdraw": only(["applicant_a"], method="POST", applicant_b=404),
    # materials: those who may see the case; everyone else the same 404 as for no material
    "portal:material": only(["applicant_a", "expert_assigned", *ALL_STAFF], others=404),
    # (422: the test's one-line PDF has no page to preview — the user was let in)
    "portal:material_preview": only(["applicant_a", "expert_assigned", *ALL_STAFF], 422, others=404),
    # portal: staff
    "portal:workbench": only(WORKBENCH),
    "portal:bulk": only(["reviewer", "approver"], method="POST"),
    "portal:staff_case": only(WORKBENCH, expert_other=404),
    "portal:staff_act": only(WORKBENCH, 400, method="POST", expert_other=404),
    "portal:staff_opinion": only(["expert_assigned"], 400, method="POST", expert_other=404),
    # the conflict-of-interest declaration (the world's expert has declared already: an empty POST is refused)
    "portal:staff_declare": only(["expert_assigned"], 400, method="POST", expert_other=404),
    "portal:staff_assign": only(["reviewer"], 400, method="POST"),
    "portal:batch": only(WORKBENCH),
    "portal:dashboard": only(["manager", "auditor", "approver"]),
    "portal:export": only(["manager", "auditor", "approver"]),
    # statistics (统计分析) and their export: the dashboard's roles (invest.roles.STATISTICS_ROLES)
    "statistics:page": only(["manager", "auditor", "approver"]),
    "statistics:export": only(["manager", "auditor", "approver"]),
    # public notice and objections (anyone, by real name)
    "portal:notices": everyone(),
    "portal:objection": everyone(),
    # documents
    "documents:verify_form": everyone(),
    "documents:verify": everyone(),
    "documents:download": only(["applicant_a", "expert_assigned", *ALL_STAFF], others=404, anonymous=404),
    # API
    "api-schema": everyone(),
    "api-docs": everyone(),
    "api-redoc": everyone(),
    "api-not-found": everyone(404),
    "v1:token": everyone(400, method="POST"),
    "v1:user-token": only(["manager"], method="DELETE", anonymous=401),  # revoke a user's token
    "v1:calculator": everyone(400, method="POST"),
    "v1:application-documents": only(["applicant_a", "expert_assigned", *ALL_STAFF], others=404, anonymous=401),
    "v1:document-pdf": only(["applicant_a", "expert_assigned", *ALL_STAFF], others=404, anonymous=401),
    "v1:verify": everyone(),
    "v1:policy-list": everyone(),
    "v1:policy-detail": everyone(),
    "v1:item-list": everyone(),
    "v1:item-detail": everyone(),
    "v1:company-list": logged_in(OK, anonymous=401),
    "v1:company-detail": only(["applicant_a", *ALL_STAFF], others=404, anonymous=401),
    "v1:application-list": logged_in(OK, anonymous=401),
    "v1:application-detail": only(["applicant_a", "expert_assigned", *ALL_STAFF], others=404, anonymous=401),
    # The API's write actions read the body before the service checks the role: with an empty body everyone
    # who may see the case gets 400 (the service refuses a wrong role with 403 once the body is complete —
    # tests/api); those who may not see it get 404.
    "v1:application-experts": only(
        ["applicant_a", "expert_assigned", *ALL_STAFF], 400, method="POST", others=404, anonymous=401
    ),
    "v1:application-materials": only(
        ["applicant_a", "expert_assigned", *ALL_STAFF], 400, method="POST", others=404, anonymous=401
    ),
    "v1:application-opinion": only(
        ["applicant_a", "expert_assigned", *ALL_STAFF], 400, method="POST", others=404, anonymous=401
    ),
    "v1:application-declaration": only(
        ["applicant_a", "expert_assigned", *ALL_STAFF], 400, method="POST", others=404, anonymous=401
    ),
    # reject is not open in expert review: 403 with the reason for everyone who may see the case
    "v1:application-take-transition": only(
        ["applicant_a", "expert_assigned", *ALL_STAFF], 403, method="POST", others=404, anonymous=401
    ),
    "v1:application-timeline": only(["applicant_a", "expert_assigned", *ALL_STAFF], others=404, anonymous=401),
    "v1:application-transitions": only(["applicant_a", "expert_assigned", *ALL_STAFF], others=404, anonymous=401),
    "v1:expert-list": only(["reviewer", "manager"], anonymous=401),
    "v1:notice-list": everyone(),
    "v1:notice-objections": everyone(400, method="POST"),
}

# The Django admin: no role of the service is staff, so every admin page sends every user to the admin login.
ADMIN_ROW = logged_in(LOGIN)
ADMIN_EXCEPTIONS = {"admin:login": everyone(), "admin:logout": everyone(method="POST")}


def url_patterns(patterns=None, prefix="", namespace=None):
    """(name, route, pattern) for every URL pattern, descending into included resolvers."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace])) or None
            yield from url_patterns(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = ":".join(filter(None, [namespace, p.name])) if p.name else None
            yield name or f"<unnamed {prefix}{p.pattern}>", prefix + str(p.pattern), p


def table_row(name: str):
    if name in TABLE:
        return TABLE[name]
    if name in ADMIN_EXCEPTIONS:
        return ADMIN_EXCEPTIONS[name]
    if name.startswith("admin:") or name.startswith("<unnamed admin/"):
        return ADMIN_ROW
    if name == "<unnamed api/^>":
        return TABLE["api-not-found"]
    return None


def kwargs_for(name: str, pattern: URLPattern, world) -> dict:
    o = world.objects
    case = o["case"]
    by_name = {
        "companies:decide": {"pk": o["pending_membership"].pk},
        "companies:registration": {"pk": o["registration"].pk},
        "companies:registration_decide": {"pk": o["registration"].pk},
        "companies:registration_licence": {"pk": o["registration"].pk},
        "companies:end_membership": {"pk": o["colleague_membership"].pk},
        "companies:import_job": {"pk": o["import_job"].pk},
        "companies:import_decide": {"pk": o["import_job"].pk},
        "companies:import_rejected": {"pk": o["import_job"].pk},
        "inbox:open": {"pk": o["notification"].pk},
        "accounts:detail": {"pk": world.users["clerk"].pk},
        "accounts:active": {"pk": world.users["clerk"].pk},
        "accounts:send_link": {"pk": world.users["clerk"].pk},
        "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
        "companies:detail": {"code": o["company_a"].credit_code},
        "companies:edit": {"code": o["company_a"].credit_code},
        "investment:lead": {"pk": o["lead"].pk},
        "investment:advance": {"pk": o["lead"].pk},
        "investment:follow_up": {"pk": o["lead"].pk},
        "obligations:detail": {"pk": 999999},
        "obligations:upload": {"pk": 999999},
        "obligations:review": {"pk": 999999},
        "obligations:report_file": {"pk": 999999},
        "obligations:proposal": {"pk": 999999},
        "obligations:forward": {"pk": 999999},
        "obligations:dismiss": {"pk": 999999},
        "policies:confirm_invitation": {"pk": 999999},
        "investment:plan_milestone": {"pk": o["lead"].pk},
        # no milestone in the world: the manager gets past the check to a 404
        "investment:reach_milestone": {"pk": o["lead"].pk, "milestone_pk": 999999},
        "investment:company": {"pk": o["company_a"].pk},
        "policies:item": {"code": o["item"].code},
        "policies:start_invitation": {"pk": o["invitation"].pk},
        "portal:apply": {"code": o["item"].code},
        "portal:evaluate": {"code": o["item"].code},
        "portal:material_upload": {"pk": case.pk, "key": "licence"},
        "portal:material_from_store": {"pk": case.pk, "key": "licence"},
        "companies:documents": {"code": o["company_a"].credit_code},
        "companies:document_upload": {"code": o["company_a"].credit_code, "kind": "business_licence"},
        "companies:document_file": {"pk": o["company_document"].pk},
        "portal:case_withdraw": {"pk": o["draft"].pk},
        "portal:material": {"pk": o["material"].pk},
        "portal:material_preview": {"pk": o["material"].pk},
        "portal:staff_act": {"pk": case.pk, "key": "reject"},
        "portal:batch": {"pk": o["batch"].pk},
        "portal:objection": {"pk": o["noticed"].pk},
        "documents:verify": {"code": o["document"].verification_code},
        "documents:download": {"pk": o["document"].pk},
        "v1:user-token": {"user_id": world.users["applicant_a"].pk},
        "v1:document-pdf": {"pk": o["document"].pk},
        "v1:verify": {"code": o["document"].verification_code},
        "v1:policy-detail": {"pk": o["item"].policy.pk},
        "v1:item-detail": {"code": o["item"].code},
        "v1:company-detail": {"credit_code": o["company_a"].credit_code},
        "v1:application-take-transition": {"pk": case.pk, "name": "reject"},
        "v1:notice-objections": {"pk": o["noticed"].pk},
    }
    if name in by_name:
        return by_name[name]
    params = set(pattern.pattern.regex.groupindex)
    generic = {
        "pk": case.pk,
        "object_id": str(case.pk),
        "content_type_id": 1,
        "id": case.pk,
        "app_label": "auth",
        "url": "x/",
    }
    return {k: v for k, v in generic.items() if k in params}


def url_for(name: str, route: str, pattern: URLPattern, world) -> str:
    if name.startswith("<unnamed admin/"):
        return "/" + re.sub(r"<[^>]+>", "1", route).replace("(?P<url>.*)$", "no-such-page/")
    if name.startswith("<unnamed"):
        return "/api/no-such-endpoint/"
    return reverse(name, kwargs=kwargs_for(name, pattern, world))


def outcome(response) -> object:
    if 200 <= response.status_code < 300:
        return OK
    if response.status_code in (301, 302, 303, 307, 308):
        location = response["Location"]
        return LOGIN if re.search(r"/(accounts|admin)/login/", location) else OK
    return response.status_code


def client_for(role: str, world) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


@pytest.mark.django_db
def test_every_url_pattern_is_in_the_table():
    missing = [f"{name}  ({route})" for name, route, _ in url_patterns() if table_row(name) is None]
    assert not missing, "new view without a permission check in the access table:\n" + "\n".join(missing)
    names = {name for name, _, _ in url_patterns()}
    stale = set(TABLE) - names - {"api-not-found"}
    assert not stale, f"table rows for URL names that no longer exist: {stale}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(role, settings):

    settings.AXES_ENABLED = False
    world = build_world()
    mismatches = []
    for name, route, pattern in url_patterns():
        expected_row = table_row(name)
        if expected_row is None:
            continue
        method, expected = expected_row
        url = url_for(name, route, pattern, world)
        client = client_for(role, world)  # fresh login each time: a logout URL must not affect the next row
        if method == "DELETE":
            response = client.delete(url)
        elif method == "POST" and name == "v1:application-materials":
            response = client.post(url, {})  # multipart, as uploads are sent
        elif method == "POST" and url.startswith("/api/"):
            response = client.post(url, {}, content_type="application/json")
        elif method == "POST":
            response = client.post(url, {})
        else:
            response = client.get(url)
        got = outcome(response)
        if got != expected[role]:
            mismatches.append(f"{role} {method} {url} [{name}]: expected {expected[role]}, got {got}")
    assert not mismatches, f"{role}:\n" + "\n".join(mismatches)
