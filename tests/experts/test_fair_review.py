"""Fair expert review: the conflict-of-interest declaration before the materials open, recusal and a second
expert, the scoring rubric's total, and the opinions side by side — for the office only, never the applicant's
to see who the experts were."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from applications import services
from applications.models import ExpertAssignment, Notification
from applications.services import TransitionRefused
from invest.audit import EventType
from invest.models import AuditEntry

pytestmark = pytest.mark.django_db

EXPERT_NAMES = ("张评审", "李评审", "王评审", "expert-a", "expert-b", "expert-c")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assign(reviewer, case, *experts):
    response = signed_in(reviewer).post(
        reverse("portal:staff_assign", args=[case.pk]), {"experts": [e.pk for e in experts]}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def send_to_experts(reviewer, case):
    response = signed_in(reviewer).post(
        reverse("portal:staff_act", args=[case.pk, "send_to_experts"]), {"amount": str(case.computed_amount)}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "expert_review"


def declare(expert, case, declaration="none", reason=""):
    return signed_in(expert).post(
        reverse("portal:staff_declare", args=[case.pk]), {"declaration": declaration, "conflict_reason": reason}
    )


def opinion_post(case, scores: list, **extra) -> dict:
    """The opinion form's fields: one score per rubric criterion (score_<id>), in the rubric's order."""
    criteria = list(case.item.rubric.all())
    assert len(criteria) == len(scores)
    data = {f"score_{c.pk}": str(s) for c, s in zip(criteria, scores, strict=True)}
    return {"opinion": "support", "comment": "", **data, **extra}


def give(expert, case, scores: list, **extra):
    return signed_in(expert).post(reverse("portal:staff_opinion", args=[case.pk]), opinion_post(case, scores, **extra))


def test_the_declaration_comes_before_the_materials(case, people):
    expert = people["expert_a"]
    assign(people["reviewer"], case, expert)
    send_to_experts(people["reviewer"], case)
    material = case.current_materials().get(key="invoices")
    client = signed_in(expert)

    page = client.get(reverse("portal:staff_case", args=[case.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "利益冲突声明" in text and "提交声明" in text
    assert "山城影业有限公司" in text and "《山城》剧组" in text and "JJ-FILM-01" in text  # the summary only
    assert "invoices.pdf" not in text and "800,000" not in text  # no materials, no facts
    assert client.get(reverse("portal:material", args=[material.pk])).status_code == 403
    assert client.get(reverse("portal:material_preview", args=[material.pk])).status_code == 403
    from applications.documents.models import Document

    notice = Document.objects.get(application=case, kind="acceptance_notice")  # issued when the clerk accepted
    assert client.get(reverse("documents:download", args=[notice.pk])).status_code in (403, 404)
    refused = client.post(reverse("portal:staff_opinion", args=[case.pk]), opinion_post(case, [8, 8, 8, 8]))
    assert refused.status_code == 409
    assert not ExpertAssignment.objects.get(application=case, expert=expert).answered_at

    api = APIClient()
    api.force_authenticate(expert)
    summary = api.get(f"/api/v1/applications/{case.pk}/").json()
    assert summary["company_name"] == "山城影业有限公司" and summary["facts"] == {} and summary["materials"] == []

    assert declare(expert, case).status_code == 302
    opened = client.get(reverse("portal:staff_case", args=[case.pk])).content.decode()
    assert "invoices.pdf" in opened and "提交评审意见" in opened
    download = client.get(reverse("portal:material", args=[material.pk]))
    assert download.status_code == 200 and b"invoices" in b"".join(download.streaming_content)
    assert api.get(f"/api/v1/applications/{case.pk}/").json()["facts"]["local_spend"] == "800000"
    assert client.get(reverse("documents:download", args=[notice.pk])).status_code not in (403, 404)
    assert AuditEntry.objects.filter(action=EventType.CASE_EXPERT_DECLARATION, actor=expert).count() == 1
    # Given once: it cannot be changed into a conflict afterwards.
    with pytest.raises(TransitionRefused) as again:
        services.declare_interest(case, expert, conflict=True, reason="想起来了")
    assert again.value.code == "already_declared"


def test_a_declared_conflict_recuses_the_expert_and_a_second_expert_completes_the_review(case, people):
    reviewer, first, second = people["reviewer"], people["expert_a"], people["expert_c"]
    assign(reviewer, case, first)
    send_to_experts(reviewer, case)
    material = case.current_materials().get(key="invoices")

    no_reason = declare(first, case, "conflict")
    assert no_reason.status_code == 400 and "请简要说明情形" in no_reason.content.decode()
    recused = declare(first, case, "conflict", "本人曾任该公司顾问")
    assert recused.status_code == 302 and recused.url == reverse("portal:workbench")

    assignment = ExpertAssignment.objects.get(application=case, expert=first)
    assert assignment.recused_at is not None and assignment.conflict_reason == "本人曾任该公司顾问"
    entry = AuditEntry.objects.get(action=EventType.CASE_EXPERT_RECUSED)
    assert entry.actor == first and entry.reason == "本人曾任该公司顾问"
    # The expert lost the case: no page, no material, no opinion.
    client = signed_in(first)
    assert client.get(reverse("portal:staff_case", args=[case.pk])).status_code == 404
    assert client.get(reverse("portal:material", args=[material.pk])).status_code in (403, 404)
    with pytest.raises(TransitionRefused):
        services.give_opinion(case, first, opinion="support", scores={c.pk: 1 for c in case.item.rubric.all()})
    # The reviewers are told to assign another; the case waits (a recused expert is not an outstanding one,
    # and no opinion is in).
    notice = Notification.objects.get(recipient=reviewer, event="expert_recused")
    assert "请另行指派专家" in notice.subject + notice.body
    case.refresh_from_db()
    assert case.state == "expert_review"
    ok, reason = services.can(case, None, "complete_expert_review")
    assert not ok

    staff_page = signed_in(reviewer).get(reverse("portal:staff_case", args=[case.pk])).content.decode()
    assert "已回避" in staff_page and "本人曾任该公司顾问" in staff_page
    again = signed_in(reviewer).post(reverse("portal:staff_assign", args=[case.pk]), {"experts": [first.pk]})
    assert again.status_code == 409 and "回避" in again.content.decode()

    assign(reviewer, case, second)
    assert declare(second, case).status_code == 302
    assert give(second, case, [9, 8, 7, 10]).status_code == 302
    case.refresh_from_db()
    assert case.state == "pending_decision"  # on the second expert's opinion alone
    assert ExpertAssignment.objects.get(application=case, expert=second).score == Decimal("85.00")


def test_rubric_totals_are_weighted_exactly():
    rows = [
        {"score": "7.5", "maximum": "10", "weight": "40"},
        {"score": "13", "maximum": "20", "weight": "35"},
        {"score": "4", "maximum": "5", "weight": "25"},
    ]
    # 7.5/10×40 + 13/20×35 + 4/5×25 = 30 + 22.75 + 20 = 72.75 of 100
    assert services.rubric_total(rows) == Decimal("72.75")
    thirds = [{"score": s, "maximum": "3", "weight": "1"} for s in ("1", "2", "2")]
    assert services.rubric_total(thirds) == Decimal("55.56")  # 5/9 × 100 = 55.555…, half-up
    halves = [{"score": "1", "maximum": "8", "weight": "1"}]
    assert services.rubric_total(halves) == Decimal("12.50")
    full = [{"score": "10", "maximum": "10", "weight": "3"}, {"score": "5", "maximum": "5", "weight": "1"}]
    assert services.rubric_total(full) == Decimal("100.00")


def test_the_opinion_form_scores_the_items_rubric_as_managers_set_it(case, people):
    from policies.models import RubricCriterion

    case.item.rubric.all().delete()
    for order, (label, weight, maximum) in enumerate(
        [("真实性", "40", "10"), ("合规性", "35", "20"), ("带动作用", "25", "5")], start=1
    ):
        RubricCriterion.objects.create(
            item=case.item, order=order, label=label, weight=Decimal(weight), maximum=Decimal(maximum)
        )
    expert = people["expert_b"]
    assign(people["reviewer"], case, expert)
    send_to_experts(people["reviewer"], case)
    declare(expert, case)

    form = signed_in(expert).get(reverse("portal:staff_case", args=[case.pk])).content.decode()
    assert "真实性（0–10 分）" in form and "合规性（0–20 分）" in form and "权重 35" in form
    too_high = give(expert, case, ["7.5", "21", "4"])
    assert too_high.status_code == 400 and "本项满分 20 分" in too_high.content.decode()
    assert give(expert, case, ["7.5", "13", "4"]).status_code == 302

    assignment = ExpertAssignment.objects.get(application=case, expert=expert)
    assert assignment.score == Decimal("72.75")
    assert [(r["label"], r["score"], r["maximum"], r["weight"]) for r in assignment.scores] == [
        ("真实性", "7.5", "10.00", "40.00"),
        ("合规性", "13", "20.00", "35.00"),
        ("带动作用", "4", "5.00", "25.00"),
    ]


def test_opinions_side_by_side_for_the_office_and_no_expert_name_for_the_applicant(case, people):
    reviewer = people["reviewer"]
    assign(reviewer, case, people["expert_a"], people["expert_b"], people["expert_c"])
    send_to_experts(reviewer, case)
    assert declare(people["expert_c"], case, "conflict", "与申报单位法定代表人系亲属").status_code == 302
    declare(people["expert_a"], case)
    declare(people["expert_b"], case)
    give(people["expert_a"], case, [9, 8, 7, 10])
    give(
        people["expert_b"],
        case,
        [6, 5, 5, 4],
        opinion="support_with_reduction",
        suggested_amount="100000",
        comment="部分发票不属于江津供应商",
    )
    case.refresh_from_db()
    assert case.state == "pending_decision"

    for office in (reviewer, people["approver"]):
        page = signed_in(office).get(reverse("portal:staff_case", args=[case.pk])).content.decode()
        assert "专家评审意见对照" in page
        table = page[page.index("专家评审意见对照") :]
        assert table.index("张评审") < table.index("李评审")  # one column per expert
        for label in ("申报材料真实完整", "符合政策条件与扶持方向", "申报金额测算合理", "对江津影视产业的带动作用"):
            assert label in table  # one row per criterion
        assert "85.00" in table and "51.00" in table  # the totals: 9,8,7,10 and 6,5,5,4 of 10 at 30/30/20/20
        assert "同意但核减" in table and "100,000.00" in table and "部分发票不属于江津供应商" in table
        assert "已回避的专家" in table and "与申报单位法定代表人系亲属" in table

    # The applicant: their case page, timeline, inbox and the API never name an expert.
    applicant = people["applicant"]
    page = signed_in(applicant).get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "专家评审意见对照" not in page
    api = APIClient()
    api.force_authenticate(applicant)
    texts = [
        page,
        api.get(f"/api/v1/applications/{case.pk}/").content.decode(),
        api.get(f"/api/v1/applications/{case.pk}/timeline/").content.decode(),
        api.get(f"/api/v1/applications/{case.pk}/documents/").content.decode(),
        signed_in(applicant).get(reverse("inbox:list")).content.decode(),
        " ".join(n.subject + n.body for n in Notification.objects.filter(recipient=applicant)),
    ]
    for text in texts:
        for name in EXPERT_NAMES:
            assert name not in text
    # (and the office does see them: the check above can fail)
    assert "张评审" in signed_in(reviewer).get(reverse("portal:staff_case", args=[case.pk])).content.decode()
