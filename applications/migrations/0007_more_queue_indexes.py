from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("applications", "0006_queue_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["due_date", "submitted_at", "id"], name="case_due_idx"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["state", "item", "due_date", "submitted_at", "id"], name="case_queue_item_idx"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                fields=["state", "round", "due_date", "submitted_at", "id"], name="case_queue_round_idx"
            ),
        ),
    ]
