"""The reminder rules the bureau starts with; administrators tune them in the admin afterwards."""

from django.db import migrations

# code, kind, days, day unit, stage, repeat, names (zh-hans, zh-hant, en)
RULES = [
    ("milestone-due-7", "milestone_due_in", 7, "working", "", "once",
     "里程碑7个工作日内到期", "里程碑7個工作日內到期", "Milestone due within 7 working days"),
    ("milestone-due-3", "milestone_due_in", 3, "working", "", "once",
     "里程碑3个工作日内到期", "里程碑3個工作日內到期", "Milestone due within 3 working days"),
    ("milestone-due-today", "milestone_due_today", 0, "working", "", "once",
     "里程碑今日到期", "里程碑今日到期", "Milestone due today"),
    ("milestone-overdue", "milestone_overdue", 0, "working", "", "daily",
     "里程碑已逾期（每日提醒）", "里程碑已逾期（每日提醒）", "Milestone overdue (daily)"),
    ("milestone-escalation", "milestone_escalation", 5, "working", "", "once",
     "逾期超过5个工作日，上报科室负责人", "逾期超過5個工作日，上報科室負責人",
     "Overdue more than 5 working days: escalate to the unit head"),
    ("intake-sla", "intake_sla", 3, "working", "", "once",
     "新线索3个工作日内未完成初筛", "新線索3個工作日內未完成初篩", "New lead not qualified within 3 working days"),
    ("no-activity-30", "no_activity", 30, "calendar", "", "once",
     "30天无跟进记录", "30天無跟進記錄", "No follow-up for 30 days"),
    ("pause-expired", "pause_expired", 0, "calendar", "", "once",
     "暂缓线索到达复核日期", "暫緩線索到達覆核日期", "Paused lead reached its review date"),
    ("manager-digest", "manager_digest", 0, "working", "", "daily",
     "科室负责人每日汇总", "科室負責人每日匯總", "Daily digest for unit heads and managers"),
    ("unit-digest", "unit_digest", 0, "working", "", "daily",
     "工作群每日汇总（不含个人信息）", "工作群每日匯總（不含個人資料）", "Daily group digest (no personal data)"),
]
STUCK = [
    ("QUALIFIED", 30, "已初筛", "已初篩", "qualified"),
    ("ENGAGED", 45, "已对接", "已對接", "engaged"),
    ("VISITED", 30, "已考察", "已考察", "site visit"),
    ("NEGOTIATING", 60, "洽谈中", "洽談中", "negotiating"),
    ("SIGNED", 90, "已签约", "已簽約", "signed"),
    ("REGISTERED", 90, "已注册", "已註冊", "registered"),
    ("T_ENGAGED", 45, "人才已对接", "人才已對接", "talent engaged"),
    ("T_INTERESTED", 45, "人才有意向", "人才有意向", "talent interested"),
    ("T_OFFERED", 60, "已发出邀约", "已發出邀約", "offer or agreement"),
]


def seed(apps, schema_editor):
    Rule = apps.get_model("reminders", "ReminderRule")
    rows = list(RULES)
    for stage, days, hans, hant, en in STUCK:
        rows.append((
            f"stuck-{stage.lower().replace('_', '-')}", "stage_stuck", days, "calendar", stage, "once",
            f"“{hans}”阶段停留超过{days}天", f"「{hant}」階段停留超過{days}天",
            f"At “{en}” for more than {days} days",
        ))
    for code, kind, days, unit, stage, repeat, name, name_hant, name_en in rows:
        Rule.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind, "days": days, "day_unit": unit, "stage": stage, "repeat": repeat,
                "name": name, "name_zh_hant": name_hant, "name_en": name_en,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("reminders", "0001_rules_reminders_notifications")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
