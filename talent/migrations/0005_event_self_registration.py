import secrets

from django.db import migrations, models

import talent.models.events


def give_keys(apps, schema_editor):
    # Existing events get their own key one by one: a column default would give them all the same value.
    RecruitmentEvent = apps.get_model("talent", "RecruitmentEvent")
    for event in RecruitmentEvent.objects.filter(registration_key__isnull=True).only("pk"):
        event.registration_key = secrets.token_urlsafe(12)
        event.save(update_fields=["registration_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("talent", "0004_submissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="recruitmentevent",
            name="registration_key",
            field=models.CharField(editable=False, max_length=32, null=True, verbose_name="self-registration key"),
        ),
        migrations.RunPython(give_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="recruitmentevent",
            name="registration_key",
            field=models.CharField(
                default=talent.models.events.new_registration_key,
                editable=False,
                max_length=32,
                unique=True,
                verbose_name="self-registration key",
            ),
        ),
        migrations.AddField(
            model_name="historicalrecruitmentevent",
            name="registration_key",
            field=models.CharField(
                db_index=True,
                default=talent.models.events.new_registration_key,
                editable=False,
                max_length=32,
                verbose_name="self-registration key",
            ),
        ),
        migrations.AddField(
            model_name="recruitmentevent",
            name="registration_open",
            field=models.BooleanField(
                default=True,
                help_text="Attendees can register with the event's QR code from 30 days before the event until 3 days after it.",
                verbose_name="self-registration open",
            ),
        ),
        migrations.AddField(
            model_name="historicalrecruitmentevent",
            name="registration_open",
            field=models.BooleanField(
                default=True,
                help_text="Attendees can register with the event's QR code from 30 days before the event until 3 days after it.",
                verbose_name="self-registration open",
            ),
        ),
    ]
