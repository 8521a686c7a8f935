"""Part payments and the last payment are one transition, `disburse`, whose arrival state follows from the
amount: what is left paid → 已拨付, a part → 已批准 (the case stays). Entries of the former `disburse_partial`
in the audit log (append-only) still read as part payments."""

from decimal import Decimal

import pytest

from applications import workflow
from applications.models import Notification
from applications.portal.selectors import states_entered, timeline
from applications.services import TransitionRefused, perform
from invest.audit import EventType, audit
from tests.factories.applications import ApplicationFactory, applicant_for

pytestmark = pytest.mark.django_db


def pay(app, finance, amount: str, voucher: str):
    return perform(app, "disburse", finance, amount=amount, paid_on="2026-11-20", voucher_number=voucher)


def test_a_part_stays_approved_and_what_is_left_ends_the_case_disbursed(staff):
    app = ApplicationFactory(approved=True, amount=Decimal("100000.00"))
    applicant = applicant_for(app)
    assert pay(app, staff["finance"], "40000", "V-1").state == "approved"
    assert pay(app, staff["finance"], "60000", "V-2").state == "disbursed"
    assert app.disbursed_amount == Decimal("100000.00") and app.disbursements.count() == 2
    told = list(Notification.objects.filter(recipient=applicant, event="case.disburse").order_by("id"))
    assert "拨付部分扶持资金" in told[0].body and "已全部拨付" in told[1].body
    assert app.documents.filter(kind="disbursement_notice").count() == 2


@pytest.mark.parametrize("amount", ["0", "100000.01"])
def test_a_payment_must_be_more_than_nothing_and_no_more_than_is_left(staff, amount):
    app = ApplicationFactory(approved=True, amount=Decimal("100000.00"))
    with pytest.raises(TransitionRefused) as refused:
        pay(app, staff["finance"], amount, "V-1")
    assert refused.value.code == "invalid_amount" and "100,000.00" in refused.value.reason
    app.refresh_from_db()
    assert app.state == "approved" and app.disbursed_amount == 0


def test_the_table_draws_both_arrivals_of_disburse():
    spec = workflow.TRANSITION_BY_KEY["disburse"]
    assert spec.targets == ("disbursed", "approved") and "disburse_partial" not in workflow.TRANSITION_BY_KEY
    assert "approved --> approved: disburse (finance)" in workflow.as_mermaid()
    assert "approved --> disbursed: disburse (finance)" in workflow.as_mermaid()


def test_a_part_payment_logged_before_the_merge_still_reads_as_one(staff):
    app = ApplicationFactory(approved=True, amount=Decimal("100000.00"))
    before = {"state": "approved", "disbursed_amount": "0.00"}
    after = {"state": "approved", "disbursed_amount": "40000.00"}
    audit(staff["finance"], "case.disburse_partial", app, before=before, after=after, role="finance")
    assert EventType.CASE_DISBURSE_PARTIAL in workflow.TABLE.event_types()
    assert timeline(app)[-1].title == "登记部分拨付"
    assert states_entered(app)[-1] == "approved"
