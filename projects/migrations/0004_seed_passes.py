"""The four passes and their milestone templates, from the domain research (§3).

Offsets: "N d" is counted in working days on the mainland calendar; year-scale offsets in calendar days;
ranges take their lower bound; "calendar", "as needed" and "as applicable" have no due date until someone sets
one. Rows are matched by code, so running this on a database that already has them changes nothing.
"""

from django.db import migrations

PASSES = [
    # code, order, zh-hans, zh-hant, en, short name
    ("resources", 1, "资源关", "資源關", "Resources pass", "资源"),
    ("talent", 2, "引才关", "引才關", "Talent-attraction pass", "人才"),
    ("conversion", 3, "转化关", "轉化關", "Conversion pass", "转化"),
    ("rules", 4, "规则关", "規則關", "Rules and standards pass", "规则"),
]

W, C, N = "working", "calendar", "none"

TEMPLATES = [
    # pass, code, org anchor, talent anchor, unit, offset, zh-hans, zh-hant, en, evidence
    ("resources", "R1", "NEGOTIATING", "", W, 30,
     "研发/办公场地落实", "研發/辦公場地落實", "Lab and office space secured", "租赁或入驻协议"),
    ("resources", "R2", "MOVED_IN", "", W, 60,
     "实验室改造/洁净间交付", "實驗室改造/潔淨間交付", "Lab fit-out or cleanroom handed over", "验收单"),
    ("resources", "R3", "REGISTERED", "", W, 30,
     "大型仪器共享平台开户", "大型儀器共享平台開戶", "Access to shared large-instrument platforms",
     "平台账户或服务协议"),
    ("resources", "R4", "OPERATING", "", W, 60,
     "中试/概念验证平台对接", "中試/概念驗證平台對接", "Pilot or proof-of-concept platform matched", "服务合同"),
    ("resources", "R5", "SIGNED", "", W, 90,
     "本地合作院所/联合实验室", "本地合作院所/聯合實驗室", "Local partner institute or joint lab agreed",
     "合作备忘录或联合实验室协议"),
    ("resources", "R6", "SIGNED", "", N, None,
     "跨境科研资金通道", "跨境科研資金通道", "Cross-border research-funding route set up", "银行或经费管理确认"),
    ("resources", "R7", "MOVED_IN", "", N, None,
     "科研物资/样本跨境", "科研物資/樣本跨境", "Cross-border shipment of research materials cleared",
     "海关或特殊物品审批文件"),
    ("resources", "R8", "REGISTERED", "", W, 60,
     "数据跨境合规", "數據跨境合規", "Cross-border data arrangement in place", "备案或评估记录"),
    ("talent", "T1", "NEGOTIATING", "T_OFFERED", W, 0,
     "全职/兼职安排确认", "全職/兼職安排確認", "Full-time or part-time arrangement agreed",
     "大学批准或用人计划"),
    ("talent", "T2", "REGISTERED", "T_OFFERED", W, 0,
     "来往内地通行证/居住证件", "來往內地通行證/居住證件", "Travel and residence documents",
     "证件复印件（最少保存）"),
    ("talent", "T3", "OPERATING", "T_ARRIVED", W, 0,
     "劳动合同与社保登记", "勞動合同與社保登記", "Employment contract and social-insurance enrolment",
     "合同、社保记录"),
    ("talent", "T4", "REGISTERED", "T_ARRIVED", W, 30,
     "人才公寓/安居", "人才公寓/安居", "Talent apartment or housing allocated", "分配通知"),
    ("talent", "T5", "NEGOTIATING", "T_ARRIVED", N, None,
     "人才计划申报", "人才計劃申報", "Talent-programme application", "申报回执"),
    ("talent", "T6", "", "T_AWARDED", W, 30,
     "安家/购房补贴兑现", "安家/購房補貼兌現", "Settlement or housing subsidy disbursed", "拨付记录"),
    ("talent", "T7", "MOVED_IN", "T_ARRIVED", N, None,
     "子女入学/医疗服务", "子女入學/醫療服務", "Children's schooling and healthcare arranged", "服务确认"),
    ("talent", "T8", "OPERATING", "T_ARRIVED", N, None,
     "职称/资格认定", "職稱/資格認定", "Professional title or qualification recognised", "证书"),
    ("conversion", "C1", "SIGNED", "", W, 90,
     "知识产权许可/转让", "知識產權許可/轉讓", "IP licence or assignment from the HK university signed",
     "许可协议"),
    ("conversion", "C2", "OPERATING", "", W, 180,
     "中试线建设", "中試線建設", "Pilot production line built", "验收"),
    ("conversion", "C3", "PILOT", "", W, 0,
     "产品检测/认证/注册", "產品檢測/認證/註冊", "Product testing, certification or registration", "证书"),
    ("conversion", "C4", "PILOT", "", W, 90,
     "应用场景/首个客户", "應用場景/首個客戶", "Demonstration scenario or first customer", "合同或订单"),
    ("conversion", "C5", "PRODUCING", "", N, None,
     "首台套/首批次认定", "首台套/首批次認定", "First set or first batch recognition", "认定文件"),
    ("conversion", "C6", "REGISTERED", "", N, None,
     "机构融资", "機構融資", "First institutional round or guidance-fund investment", "投资协议"),
    ("conversion", "C7", "REGISTERED", "", C, 365,
     "高新技术企业/科技型中小企业认定", "高新技術企業/科技型中小企業認定",
     "High-tech enterprise or tech-SME certification", "证书"),
    ("conversion", "C8", "PRODUCING", "", N, None,
     "量产投产至达产", "量產投產至達產", "Mass production to designed capacity", "生产记录"),
    ("rules", "G1", "NEGOTIATING", "", W, 20,
     "标准差异比对", "標準差異比對", "Standards gap analysis", "差异备忘录"),
    ("rules", "G2", "SIGNED", "", W, 30,
     "检测报告互认路径", "檢測報告互認路徑", "Route to recognition of HK test reports", "方案或协议"),
    ("rules", "G3", "REGISTERED", "", W, 60,
     "行业准入许可", "行業准入許可", "Sector licences", "许可证"),
    ("rules", "G4", "REGISTERED", "", W, 20,
     "外资准入与信息报告", "外資准入與信息報告", "Foreign-investment check and information report", "报送回执"),
    ("rules", "G5", "REGISTERED", "", W, 60,
     "数据与个人信息合规", "數據與個人信息合規", "Data and personal-information compliance", "备案或评估"),
    ("rules", "G6", "NEGOTIATING", "", W, 20,
     "合同法律适用与争议解决", "合同法律適用與爭議解決", "Governing law and dispute resolution", "条款审查"),
]  # fmt: skip


def seed(apps, schema_editor):
    Pass = apps.get_model("projects", "Pass")
    MilestoneTemplate = apps.get_model("projects", "MilestoneTemplate")
    passes = {}
    for code, order, name, name_zh_hant, name_en, short in PASSES:
        passes[code], _ = Pass.objects.get_or_create(
            code=code,
            defaults={
                "order": order,
                "name": name,
                "name_zh_hant": name_zh_hant,
                "name_en": name_en,
                "short_name": short,
            },
        )
    for pass_code, code, org, talent, unit, offset, name, name_zh_hant, name_en, evidence in TEMPLATES:
        MilestoneTemplate.objects.get_or_create(
            code=code,
            defaults={
                "lead_pass": passes[pass_code],
                "org_anchor": org,
                "talent_anchor": talent,
                "offset_unit": unit,
                "offset": offset,
                "name": name,
                "name_zh_hant": name_zh_hant,
                "name_en": name_en,
                "evidence_needed": evidence,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("projects", "0003_passes_milestones_handover")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
