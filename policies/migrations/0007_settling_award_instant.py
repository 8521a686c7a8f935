"""JJ-FILM-02 (落户奖励) as the catalogue now seeds it, on installs loaded before (seed data never overwrites an
item): the capital proof is kept once in the company's document store (单位证照库), and the signed pledge file
is no longer asked for — the online integrity pledge, ticked and timestamped at submission (also on the one-step
确认申报 page, policies.instant), is the pledge. Other items keep the signed pledge file."""

from django.db import migrations


def settle_award_materials(apps, schema_editor):
    SupportItem = apps.get_model("policies", "SupportItem")
    for item in SupportItem.objects.filter(code="JJ-FILM-02"):
        materials = []
        for material in item.materials or []:
            if isinstance(material, dict) and material.get("key") == "integrity_pledge":
                continue
            if isinstance(material, dict) and material.get("key") == "capital_proof" and "reusable" not in material:
                material = {**material, "reusable": True, "document_kind": "capital_proof"}
            materials.append(material)
        if materials != list(item.materials or []):
            SupportItem.objects.filter(pk=item.pk).update(materials=materials)


class Migration(migrations.Migration):
    dependencies = [("policies", "0006_reusable_business_licence")]

    operations = [migrations.RunPython(settle_award_materials, migrations.RunPython.noop)]
