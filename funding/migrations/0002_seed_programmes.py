"""Reference programmes from the domain research (§5.1, §5.2) and the brief, with their current versions.

- RAISe+ (研究、学术及产业界一加一计划): a Hong Kong grant a team may already hold, recorded so matching can be
  computed from it. Terms of the first call (launched October 2023, first batch May 2024): HK$10m–100m a project.
- The Suzhou leading-talent plan (苏州创新创业领军人才计划), one programme per tier, because each tier has its own
  amounts, application track and 2026 batch; the settlement subsidy (安家补贴) is a talent subsidy of its own.
  Amounts are the research notes' (2023 text); they change by year, which is why they live on versions. The
  founder-equity, paid-in-cash and registration rules apply to founders, so only the entrepreneurial tiers carry
  them. The 2026 batch dates stand in until the 2026 notice is out.
- The 1:1 matching package the brief proposes after the Hetao measures, for teams funded by a Hong Kong university:
  two programmes, not two versions, because a programme has one version a year and the two caps (RMB 50m for
  frontier core technology, RMB 100m for major functional platforms) are separate tracks that run in the same
  year. No funding body is named: the package is the bureau's proposal, not yet anyone's policy.
- The cross-border venture fund the brief proposes (设立跨境创投基金, under Suzhou's QFLP pilot): a fund has
  commitments and investments, not yearly terms, so it has no version.

Rows are matched by code (versions by year, windows by batch; a version's rules are written with it): running
this on a database that already has them changes nothing, and edits made since are kept.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations

M = Decimal(1_000_000)

SZ_PLAN = ("苏州创新创业领军人才计划", "蘇州創新創業領軍人才計劃", "Suzhou Innovation and Entrepreneurship Leading Talent Plan")
SZ_BATCH = ("2026年度第一批", date(2026, 3, 1), date(2026, 4, 30))
SZ_NOTE = (
    "金额依据2023年申报通知（2025年区级通知所列重大创新团队为1000万–3000万元），以2026年度申报通知为准。"
)

FOUNDER_RULES = [
    # field, operator, threshold, currency, note
    ("founder_equity_percent", "gte", Decimal(20), "", "创业人才为企业创始人，持股不低于20%（或为最大自然人股东）"),
    ("paid_in_cash", "gte", 1 * M, "CNY", "实缴货币资本不低于100万元（不含技术入股）"),
    ("registered_on", "in_window", None, "", "企业在申报批次规定期限内注册"),
]

PROGRAMMES = [
    {
        "code": "raise-plus",
        "names": (
            "研究、学术及产业界一加一计划（RAISe+）",
            "研究、學術及產業界一加一計劃（RAISe+）",
            "Research, Academic and Industry Sectors One-plus Scheme (RAISe+)",
        ),
        "program_type": "hk_grant",
        "funder": "hk_government",
        "funder_name": "创新科技署（Innovation and Technology Commission）",
        "pass": "resources",
        "description": (
            "香港特区政府100亿港元计划，资助至少100支有潜力成为初创企业的大学研发团队；申请者为教资会资助大学，"
            "须有产业界赞助。此处记录线索已获得的资助，用于计算苏州配套金额。"
        ),
        "versions": [
            {
                "year": 2024,
                "currency": "HKD",
                "min_amount": 10 * M,
                "max_amount": 100 * M,
                "notes": "首轮（2023年10月推出，2024年5月公布首批24支团队）：每个项目1000万至1亿港元，分两期。",
            }
        ],
    },
    {
        "code": "sz-leader-entrepreneur",
        "names": tuple(f"{plan}（{tier}）" for plan, tier in zip(SZ_PLAN, ("创业领军人才", "創業領軍人才", "entrepreneurial leading talent"))),
        "program_type": "project_grant",
        "funder": "city",
        "funder_name": "苏州市人民政府",
        "pass": "talent",
        "template": "T5",
        "description": "创业领军人才项目资助100万–500万元，另有安家补贴（见“安家补贴”）与滚动支持。",
        "versions": [
            {"year": 2026, "currency": "CNY", "min_amount": 1 * M, "max_amount": 5 * M, "notes": SZ_NOTE,
             "rules": FOUNDER_RULES, "window": SZ_BATCH},
        ],
    },
    {
        "code": "sz-leader-innovation",
        "names": tuple(f"{plan}（{tier}）" for plan, tier in zip(SZ_PLAN, ("创新领军人才", "創新領軍人才", "innovation leading talent"))),
        "program_type": "project_grant",
        "funder": "city",
        "funder_name": "苏州市人民政府",
        "pass": "talent",
        "template": "T5",
        "description": "在苏企业、机构引进的创新领军人才，资助100万–200万元，另有100万–200万元安家补贴。",
        "versions": [
            {"year": 2026, "currency": "CNY", "min_amount": 1 * M, "max_amount": 2 * M, "notes": SZ_NOTE,
             "window": SZ_BATCH},
        ],
    },
    {
        "code": "sz-major-innovation-team",
        "names": tuple(f"{plan}（{tier}）" for plan, tier in zip(SZ_PLAN, ("重大创新团队", "重大創新團隊", "major innovation team"))),
        "program_type": "project_grant",
        "funder": "city",
        "funder_name": "苏州市人民政府",
        "pass": "talent",
        "template": "T5",
        "description": "重大创新团队三年内资助1000万–5000万元，团队带头人及核心成员另有安家补贴。",
        "versions": [
            {"year": 2026, "currency": "CNY", "min_amount": 10 * M, "max_amount": 50 * M, "notes": SZ_NOTE,
             "rules": FOUNDER_RULES, "window": SZ_BATCH},
        ],
    },
    {
        "code": "sz-young-talent",
        "names": tuple(f"{plan}（{tier}）" for plan, tier in zip(SZ_PLAN, ("青年人才", "青年人才", "young talent"))),
        "program_type": "project_grant",
        "funder": "city",
        "funder_name": "苏州市人民政府",
        "pass": "talent",
        "template": "T5",
        "description": "青年人才资助50万–200万元。",
        "versions": [
            {"year": 2026, "currency": "CNY", "min_amount": Decimal(500_000), "max_amount": 2 * M,
             "notes": SZ_NOTE, "window": SZ_BATCH},
        ],
    },
    {
        "code": "sz-leader-settlement",
        "names": tuple(f"{plan}（{tier}）" for plan, tier in zip(SZ_PLAN, ("安家补贴", "安家補貼", "settlement subsidy"))),
        "program_type": "talent_subsidy",
        "funder": "city",
        "funder_name": "苏州市人民政府",
        "pass": "talent",
        "template": "T6",
        "description": "入选创业领军人才的安家补贴100万–300万元，分期兑现。",
        "versions": [
            {"year": 2026, "currency": "CNY", "min_amount": 1 * M, "max_amount": 3 * M, "notes": SZ_NOTE,
             "window": SZ_BATCH},
        ],
    },
    {
        "code": "sz-hk-matching-frontier",
        "names": (
            "港校资助团队1:1配套（前沿关键核心技术）",
            "港校資助團隊1:1配套（前沿關鍵核心技術）",
            "1:1 matching for Hong Kong university-funded teams (frontier core technology)",
        ),
        "program_type": "matching",
        "funder": "city",
        "funder_name": "",
        "pass": "resources",
        "description": (
            "对获得香港高校创业资助的团队或项目给予最高1:1配套；前沿关键核心技术研发、产业化项目最高5000万元。"
            "依据建议稿参照河套深港科技创新合作区做法拟定，具体条款待确认。"
        ),
        "versions": [
            {"year": 2026, "currency": "CNY", "max_amount": 50 * M, "matching_ratio": Decimal(1),
             "matching_cap": 50 * M, "window": ("2026年度", date(2026, 1, 1), date(2026, 12, 31)),
             "rules": [("registered_on", "filled", None, "", "已在苏州注册落地主体")]},
        ],
    },
    {
        "code": "sz-hk-matching-platform",
        "names": (
            "港校资助团队1:1配套（重大功能型平台）",
            "港校資助團隊1:1配套（重大功能型平台）",
            "1:1 matching for Hong Kong university-funded teams (major functional platforms)",
        ),
        "program_type": "matching",
        "funder": "city",
        "funder_name": "",
        "pass": "resources",
        "description": (
            "对市级及以上重大功能型平台最高配套支持1亿元。依据建议稿参照河套深港科技创新合作区做法拟定，"
            "具体条款待确认。"
        ),
        "versions": [
            {"year": 2026, "currency": "CNY", "max_amount": 100 * M, "matching_ratio": Decimal(1),
             "matching_cap": 100 * M, "window": ("2026年度", date(2026, 1, 1), date(2026, 12, 31)),
             "rules": [("registered_on", "filled", None, "", "已在苏州注册落地主体")]},
        ],
    },
    {
        "code": "sz-hk-crossborder-fund",
        "names": ("苏港跨境创投基金", "蘇港跨境創投基金", "Suzhou–Hong Kong Cross-border Venture Fund"),
        "program_type": "fund_investment",
        "funder": "fund",
        "funder_name": "",
        "pass": "resources",
        "description": (
            "建议稿提出发挥香港金融中心优势设立跨境创投基金；苏州为合格境外有限合伙人（QFLP）试点城市。"
            "记录出资人认缴、实缴（缴款通知）及对苏州项目的返投。"
        ),
        "versions": [],
    },
]  # fmt: skip


def seed(apps, schema_editor):
    FundingProgram = apps.get_model("funding", "FundingProgram")
    ProgramVersion = apps.get_model("funding", "ProgramVersion")
    ApplicationWindow = apps.get_model("funding", "ApplicationWindow")
    EligibilityRule = apps.get_model("funding", "EligibilityRule")
    Pass = apps.get_model("projects", "Pass")
    MilestoneTemplate = apps.get_model("projects", "MilestoneTemplate")
    for spec in PROGRAMMES:
        name, name_zh_hant, name_en = spec["names"]
        program, _ = FundingProgram.objects.get_or_create(
            code=spec["code"],
            defaults={
                "name": name,
                "name_zh_hant": name_zh_hant,
                "name_en": name_en,
                "program_type": spec["program_type"],
                "funder": spec["funder"],
                "funder_name": spec["funder_name"],
                "description": spec["description"],
                # Both were seeded by projects 0004; a database where someone removed them still migrates.
                "lead_pass": Pass.objects.filter(code=spec["pass"]).first(),
                "milestone_template": MilestoneTemplate.objects.filter(code=spec.get("template", "")).first(),
            },
        )
        for terms in spec["versions"]:
            terms = dict(terms)
            rules = terms.pop("rules", [])
            window = terms.pop("window", None)
            version, created = ProgramVersion.objects.get_or_create(
                program=program, year=terms.pop("year"), defaults=terms
            )
            if window is not None:
                batch, opens_on, closes_on = window
                ApplicationWindow.objects.get_or_create(
                    version=version, batch=batch, defaults={"opens_on": opens_on, "closes_on": closes_on}
                )
            if not created:
                continue  # its rules are whatever an administrator has made of them since
            for field, operator, threshold, currency, note in rules:
                EligibilityRule.objects.create(
                    version=version,
                    field=field,
                    operator=operator,
                    threshold=threshold,
                    threshold_currency=currency,
                    note=note,
                )


class Migration(migrations.Migration):
    dependencies = [
        ("funding", "0001_funding_model"),
        ("projects", "0004_seed_passes"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
