"""policies 0007 brings JJ-FILM-02 loaded by an older seed to the catalogue's materials (免申即享 in one step)."""

import importlib

import pytest
from django.apps import apps

from policies import catalogue
from policies.models import SupportItem

migration = importlib.import_module("policies.migrations.0007_settling_award_instant")

OLD = [
    catalogue.LICENCE,
    catalogue._material("capital_proof", "实缴资本证明（验资报告或银行进账单）"),
    catalogue.PLEDGE,
]


@pytest.mark.django_db
def test_an_item_seeded_before_gets_the_reusable_capital_proof_and_no_pledge_file(seeded_round):
    SupportItem.objects.filter(code="JJ-FILM-02").update(materials=OLD)
    untouched = list(SupportItem.objects.get(code="JJ-FILM-03").materials)

    migration.settle_award_materials(apps, None)
    migration.settle_award_materials(apps, None)  # a second run changes nothing more

    item = SupportItem.objects.get(code="JJ-FILM-02")
    seeded = next(i for i in catalogue.ITEMS if i["code"] == "JJ-FILM-02")
    assert item.materials == seeded["materials"]
    assert [m["key"] for m in item.materials] == ["business_licence", "capital_proof"]
    assert SupportItem.objects.get(code="JJ-FILM-03").materials == untouched
