"""English texts beside the Chinese policy data (django-modeltranslation): shown on English pages, Chinese as the
fallback, Chinese kept in the original column, entered by managers in the policies admin."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from policies.models import Criterion, Policy, SupportItem
from tests.factories.companies import UserFactory


def _english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def test_seeded_items_have_english_names_shown_on_english_pages(client, catalogue):
    _english(client)
    content = client.get(reverse("policies:calculator")).content.decode()
    assert "Production spending subsidy for crews shooting in Jiangjin" in content
    assert "Loan interest subsidy" in content
    assert "Jiangjin District Film Industry Development Support Measures (Trial)" in content
    # no English condition entered yet: the Chinese is shown, not an empty cell
    assert "在江津拍摄不少于15天" in content


def test_chinese_pages_keep_the_chinese(client, catalogue):
    content = client.get(reverse("policies:calculator")).content.decode()
    assert "剧组拍摄消费补贴" in content
    assert "Production spending subsidy" not in content


def test_empty_english_falls_back_to_chinese(client, catalogue):
    SupportItem.objects.filter(code="JJ-FILM-02").update(name_en=None)
    SupportItem.objects.filter(code="JJ-FILM-03").update(name_en="")
    _english(client)
    content = client.get(reverse("policies:item", args=["JJ-FILM-02"])).content.decode()
    assert "落户奖励" in content
    content = client.get(reverse("policies:item", args=["JJ-FILM-03"])).content.decode()
    assert "办公用房租金补贴" in content


def test_english_condition_text_is_shown_when_entered(client, catalogue):
    criterion = Criterion.objects.get(item__code="JJ-FILM-01", label="在江津拍摄不少于15天")
    criterion.label_en = "At least 15 days of shooting in Jiangjin"
    criterion.save()
    _english(client)
    content = client.get(reverse("policies:item", args=["JJ-FILM-01"])).content.decode()
    assert "At least 15 days of shooting in Jiangjin" in content
    assert "在江津拍摄不少于15天" not in content


def test_the_original_column_keeps_the_chinese_even_when_saved_in_english(catalogue):
    item = SupportItem.objects.get(code="JJ-FILM-05")
    with translation.override("en"):
        item.name = "Box office reward (edited)"
        item.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, name_zh_hans, name_en FROM policies_supportitem WHERE code = %s", ["JJ-FILM-05"])
        assert cursor.fetchone() == ("院线票房奖励", "院线票房奖励", "Box office reward (edited)")


def test_a_text_given_without_a_language_is_the_chinese_one(db):
    with translation.override("en"):
        policy = Policy.objects.create(title="测试政策", issuing_body="江津区", effective_from="2026-01-01")
    policy.refresh_from_db()
    assert policy.title_zh_hans == "测试政策"
    with translation.override("zh-hans"):
        assert Policy.objects.get(pk=policy.pk).title == "测试政策"


@pytest.mark.django_db
def test_managers_enter_the_english_texts_in_the_admin(client, catalogue):
    from django.core.management import call_command

    call_command("setup_roles", verbosity=0)  # the manager group's admin permissions
    manager = UserFactory(roles=["manager"], is_staff=True)
    client.force_login(manager)
    assert manager.has_perm("policies.change_supportitem")
    item = SupportItem.objects.get(code="JJ-FILM-01")
    content = client.get(reverse("admin:policies_supportitem_change", args=[item.pk])).content.decode()
    for name in ("name_zh_hans", "name_en", "description_en", "amount_explanation_en", "cap_note_en"):
        assert f'name="{name}"' in content, name
    assert 'name="criteria-0-label_en"' in content
    policy = Policy.objects.get()
    content = client.get(reverse("admin:policies_policy_change", args=[policy.pk])).content.decode()
    assert 'name="title_en"' in content


def test_material_and_form_field_labels_have_an_english_text_beside_the_chinese(client, catalogue, seeded_round):
    from applications.portal.forms import ApplicationForm

    item = SupportItem.objects.get(code="JJ-FILM-01")
    item.materials[1]["label_en"] = "Filing or project approval"
    item.form_fields[2]["label_en"] = "Spending in Jiangjin"
    item.save()
    _english(client)
    content = client.get(reverse("policies:item", args=["JJ-FILM-01"])).content.decode()
    assert "Filing or project approval" in content
    assert "拍摄计划及拍摄地点清单" in content  # no English entered: the Chinese
    with translation.override("en"):
        form = ApplicationForm(item=item)
        assert form.fields["local_spend"].label == "Spending in Jiangjin"
        assert form.fields["has_filing"].label == "已取得备案或立项"
    with translation.override("zh-hans"):
        assert ApplicationForm(item=item).fields["local_spend"].label == "在江津消费金额"
