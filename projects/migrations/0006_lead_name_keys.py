"""Name keys on leads, for duplicate detection by organization and name, filled for the leads already there.

The keys come from the same name_key() that lead_create and lead_update use: a key computed any other way would
never meet the ones written later. Historical rows are snapshots and keep empty keys.
"""

from django.conf import settings
from django.db import migrations, models

from directory.services import name_key

CHUNK = 2000


def fill_name_keys(apps, schema_editor):
    Lead = apps.get_model("projects", "Lead")
    last_pk = 0
    while True:
        # Keyset pages by primary key: memory stays flat and no page is re-read, however many leads there are.
        leads = list(
            Lead.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .only("pk", "name", "name_zh_hant", "name_en")[:CHUNK]
        )
        if not leads:
            return
        for lead in leads:
            lead.name_key = name_key(lead.name)
            lead.name_zh_hant_key = name_key(lead.name_zh_hant)
            lead.name_en_key = name_key(lead.name_en)
        Lead.objects.bulk_update(leads, ["name_key", "name_zh_hant_key", "name_en_key"], batch_size=500)
        last_pk = leads[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("directory", "0001_initial"),
        ("projects", "0005_lead_search_trigram"),
        ("talent", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="historicallead",
            name="name_en_key",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.AddField(
            model_name="historicallead",
            name="name_key",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.AddField(
            model_name="historicallead",
            name="name_zh_hant_key",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.AddField(
            model_name="lead",
            name="name_en_key",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.AddField(
            model_name="lead",
            name="name_key",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.AddField(
            model_name="lead",
            name="name_zh_hant_key",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["hk_organization", "name_key"], name="lead_org_name_key_idx"),
        ),
        # Dropping the columns on the way back drops the keys too: nothing to undo.
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop),
    ]
