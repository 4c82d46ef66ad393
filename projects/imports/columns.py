"""The ledger's columns, the names a ledger may give them, and the words staff write for types, stages and
channels."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from core.imports.reading import Column
from projects.models import Lead, LeadType, SourceChannel
from projects.stages import Stage

COLUMNS = (
    Column(
        "name",
        gettext_lazy("Project name"),
        ("项目名称", "項目名稱", "项目", "項目", "名称", "project name", "project", "name", "lead"),
        required=True,
    ),
    Column(
        "organization",
        gettext_lazy("Hong Kong organization"),
        ("单位", "單位", "机构", "機構", "香港机构", "香港機構", "依托单位", "所属机构", "organization",
         "organisation", "hk organization", "institution"),
        required=True,
    ),
    Column("lead_type", gettext_lazy("Lead type"), ("类型", "類型", "项目类型", "項目類型", "lead type", "type")),
    Column("sector", gettext_lazy("Sector"), ("领域", "領域", "行业", "行業", "产业领域", "sector", "industry")),
    Column(
        "stage",
        gettext_lazy("Stage"),
        ("阶段", "階段", "进展", "進展", "项目阶段", "当前阶段", "项目进展", "stage", "progress"),
    ),
    Column(
        "stage_date",
        gettext_lazy("Stage date"),
        ("日期", "进展日期", "進展日期", "签约日期", "簽約日期", "阶段日期", "stage date", "date"),
    ),
    Column(
        "first_contact",
        gettext_lazy("First contact"),
        ("首次接触", "首次接觸", "首次接触日期", "录入日期", "錄入日期", "登记日期", "first contact",
         "first contact date", "entered on"),
    ),
    Column("owner", gettext_lazy("Owner"), ("负责人", "負責人", "跟进人", "跟進人", "责任人", "owner", "officer")),
    Column(
        "investment",
        gettext_lazy("Expected investment"),
        ("意向投资额", "意向投資額", "投资额", "投資額", "计划投资", "expected investment", "investment"),
    ),
    Column("uscc", gettext_lazy("USCC"), ("统一社会信用代码", "統一社會信用代碼", "信用代码", "uscc")),
    Column(
        "hk_company_number",
        gettext_lazy("HK CR No."),
        ("公司注册编号", "公司註冊編號", "香港公司注册编号", "cr no", "cr no.", "hk cr no.", "company number"),
    ),
    Column(
        "source_channel",
        gettext_lazy("Source channel"),
        ("来源渠道", "來源渠道", "渠道", "来源", "來源", "source channel", "channel", "source"),
    ),
    Column("notes", gettext_lazy("Notes"), ("备注", "備註", "说明", "說明", "notes", "remarks")),
)  # fmt: skip

# Words staff write in the ledger, besides each choice's code and labels.
LEAD_TYPE_WORDS = {
    LeadType.UNIVERSITY_TEAM: ("高校团队", "大学团队", "高校科研团队", "university team"),
    LeadType.STARTUP: ("初创企业", "初创公司", "初创", "创业企业", "start-up"),
    LeadType.COMPANY: ("企业", "公司", "成熟企业"),
    LeadType.RESEARCH_INSTITUTE: ("科研机构", "研究机构", "研究院", "实验室", "research institute"),
    LeadType.TALENT: ("人才", "个人", "talent"),
}
STAGE_WORDS = {
    Stage.LEAD: ("线索", "新线索"),
    Stage.QUALIFIED: ("研判",),
    Stage.ENGAGED: ("接洽", "对接"),
    Stage.VISITED: ("考察", "实地考察", "来苏考察"),
    Stage.NEGOTIATING: ("洽谈", "在谈", "商谈"),
    Stage.SIGNED: ("签约",),
    Stage.REGISTERED: ("注册", "注册落地"),
    Stage.MOVED_IN: ("入驻",),
    Stage.OPERATING: ("运营", "投入运营"),
    Stage.PILOT: ("中试",),
    Stage.PRODUCING: ("投产",),
    Stage.FIRST_REVENUE: ("首单",),
    Stage.SCALED: ("达产",),
}
CHANNEL_WORDS = {
    SourceChannel.EVENT: ("活动", "推介会", "招商活动", "路演", "event"),
    SourceChannel.RESIDENT_OFFICE: ("驻港", "驻港办", "驻港办事处", "驻港联络处"),
    SourceChannel.INVESTOR_REFERRAL: ("以商招商", "企业推荐", "投资方推荐"),
    SourceChannel.ASSOCIATION: ("协会", "商会", "社团", "association", "chamber"),
    SourceChannel.UNIVERSITY_TTO: ("技术转移", "技术转移办公室", "技转办", "tto"),
    SourceChannel.INTERMEDIARY: ("中介", "中介机构", "intermediary", "agency"),
    SourceChannel.ONLINE: ("网络", "线上", "云招商", "online"),
    SourceChannel.INBOUND: ("主动来访", "主动联系", "上门", "inbound"),
    SourceChannel.OTHER: ("其他", "其它", "other"),
}
COLUMN = {column.key: column for column in COLUMNS}
FORMULA_STARTS = ("=", "+", "-", "@")
NAME_MAX = Lead._meta.get_field("name").max_length or 200
