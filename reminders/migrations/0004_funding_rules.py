"""The funding-deadline rules: a batch closing and a tranche falling due. Administrators tune them in the admin."""

from django.db import migrations

# code, kind, days, day unit, repeat, names (zh-hans, zh-hant, en)
RULES = [
    # Calendar days: a batch's closing date is set by the funder's notice, and the paperwork runs over weekends.
    ("funding-window-closing-10", "funding_window_closing", 10, "calendar", "once",
     "资助申报批次10天内截止", "資助申報批次10天內截止", "Funding batch closes within 10 days"),
    ("tranche-due-5", "tranche_due", 5, "working", "once",
     "资助款项5个工作日内到期拨付", "資助款項5個工作日內到期撥付", "Tranche due within 5 working days"),
]


def seed(apps, schema_editor):
    Rule = apps.get_model("reminders", "ReminderRule")
    for code, kind, days, unit, repeat, name, name_hant, name_en in RULES:
        Rule.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind, "days": days, "day_unit": unit, "stage": "", "repeat": repeat,
                "name": name, "name_zh_hant": name_hant, "name_en": name_en,
            },
        )


def unseed(apps, schema_editor):
    # Rows that reminders already point at are kept (PROTECT): deleting would lose the delivery record.
    Rule = apps.get_model("reminders", "ReminderRule")
    Rule.objects.filter(code__in=[row[0] for row in RULES], reminders__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("reminders", "0003_funding_rule_kinds")]
    operations = [migrations.RunPython(seed, unseed)]
