"""What the applicant reads after each step is a sentence, not "已" glued to an action label."""

from datetime import timedelta

import pytest

from applications import services, workflow
from applications.models import Notification
from tests.factories.applications import ApplicationFactory, applicant_for

pytestmark = pytest.mark.django_db


def test_every_step_the_applicant_hears_about_has_its_own_sentence():
    for t in workflow.TRANSITIONS:
        for target in t.targets:
            sentence = t.applicant_sentence(target, title="电影《江津往事》", case="JJYS-2026-0001")
            if sentence is None:
                continue
            key = f"{t.key} → {target}"
            assert sentence.endswith("。") and "JJYS-2026-0001" in sentence, key
            assert "已提出异议" not in sentence and "已公示期满无异议" not in sentence, key
            assert "当前状态" not in sentence, key


def test_an_objection_and_the_end_of_the_notice_read_as_sentences(staff):
    app = ApplicationFactory(in_public_notice=True, project_title="电影《江津往事》")
    applicant = applicant_for(app)
    services.file_objection(app, name="李四", contact="13800000000", content="该片未在江津拍摄")
    objection = Notification.objects.get(recipient=applicant, event="case.file_objection")
    assert "已提出异议" not in objection.body
    assert objection.body.startswith(
        f"您的申报“电影《江津往事》”（{app.case_number}）在公示期间收到异议，公示暂停，审定人正在核查。"
    )

    services.perform(app, "dismiss_objection", staff["approver"], comment="异议不成立")
    dismissed = Notification.objects.get(recipient=applicant, event="case.dismiss_objection")
    assert "异议不成立，申报重新公示。" in dismissed.body and "说明：异议不成立" in dismissed.body

    app.refresh_from_db()
    assert app.state == "public_notice"
    assert services.tick_deadlines(on=app.due_date + timedelta(days=1)).concluded == 1  # the notice runs out
    concluded = Notification.objects.get(recipient=applicant, event="case.conclude_notice")
    assert "已公示期满无异议" not in concluded.body
    assert "公示期满，无人提出异议，已获批准。" in concluded.body
