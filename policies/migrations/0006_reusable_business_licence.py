"""Mark the business licence reusable on the items already loaded (seed data never overwrites an item), so
companies can choose it from their document store (单位证照库) instead of uploading it for every case."""

from django.db import migrations


def mark_licence_reusable(apps, schema_editor):
    SupportItem = apps.get_model("policies", "SupportItem")
    for item in SupportItem.objects.all():
        materials = list(item.materials or [])
        changed = False
        for material in materials:
            if isinstance(material, dict) and material.get("key") == "business_licence" and "reusable" not in material:
                material["reusable"] = True
                material["document_kind"] = "business_licence"
                changed = True
        if changed:
            SupportItem.objects.filter(pk=item.pk).update(materials=materials)


class Migration(migrations.Migration):
    dependencies = [("policies", "0005_rubric_criteria")]

    operations = [migrations.RunPython(mark_licence_reusable, migrations.RunPython.noop)]
