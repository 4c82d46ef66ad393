"""The sign-in sheet's columns, the names a sheet may give them, and the words its cells may hold."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy

from core.imports.reading import Column
from talent.models import Contact, Interest

COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        gettext_lazy("Name"),
        ("姓名", "名字", "中文姓名", "中文名", "name", "full name", "chinese name"),
        required=True,
    ),
    Column(
        "english_name",
        gettext_lazy("English name"),
        ("英文名", "英文名字", "英文姓名", "english name", "name in english"),
    ),
    Column("title", gettext_lazy("Title"), ("职称", "職稱", "称谓", "稱謂", "title")),
    Column(
        "organization",
        gettext_lazy("Organization"),
        (
            "单位",
            "單位",
            "机构",
            "機構",
            "工作单位",
            "工作單位",
            "所在单位",
            "所在單位",
            "学校",
            "學校",
            "公司",
            "organization",
            "organisation",
            "affiliation",
            "company",
            "university",
            "institution",
        ),
    ),
    Column(
        "position",
        gettext_lazy("Position"),
        ("职务", "職務", "职位", "職位", "岗位", "崗位", "position", "job title"),
    ),
    Column(
        "phone",
        gettext_lazy("Phone"),
        (
            "手机",
            "手機",
            "手机号",
            "手機號",
            "手机号码",
            "手機號碼",
            "电话",
            "電話",
            "联系电话",
            "聯繫電話",
            "聯絡電話",
            "mobile",
            "phone",
            "tel",
            "telephone",
            "mobile phone",
        ),
    ),
    Column(
        "email",
        gettext_lazy("E-mail"),
        ("邮箱", "郵箱", "电子邮件", "電子郵件", "电子邮箱", "電子郵箱", "電郵", "电邮", "email", "e-mail"),
    ),
    Column("wechat", gettext_lazy("WeChat ID"), ("微信", "微信号", "微信號", "wechat", "wechat id")),
    Column(
        "research_field",
        gettext_lazy("Research field"),
        (
            "研究方向",
            "研究领域",
            "研究領域",
            "领域",
            "領域",
            "专业",
            "專業",
            "field",
            "research field",
            "research area",
        ),
    ),
    Column(
        "interests",
        gettext_lazy("Interests"),
        ("兴趣", "興趣", "合作意向", "意向类型", "意向類型", "interests", "interest"),
    ),
    Column(
        "grade",
        gettext_lazy("Grade"),
        ("评级", "評級", "意向等级", "意向等級", "等级", "等級", "grade", "rating"),
    ),
    Column("notes", gettext_lazy("Notes"), ("备注", "備註", "備注", "notes", "remarks", "note")),
    Column(
        "consent",
        gettext_lazy("Consent"),
        ("同意", "是否同意", "同意授权", "同意授權", "consent", "agree", "agreed"),
    ),
)

LABELS = {column.key: column.label for column in COLUMNS}

# Field lengths of the contact, checked per row: a value too long would otherwise fail the whole commit.
MAX_LENGTHS = {
    "name": Contact._meta.get_field("name").max_length,
    "name_romanized": Contact._meta.get_field("name_romanized").max_length,
    "english_name": Contact._meta.get_field("english_name").max_length,
    "title": Contact._meta.get_field("title").max_length,
    "position": Contact._meta.get_field("position").max_length,
    "research_field": Contact._meta.get_field("research_field").max_length,
}

SEPARATORS = re.compile(r"[/;；,，、|]+")
GRADE = re.compile(r"^([ABC])\s*(?:级|級|类|類)?$")

YES = {
    "是",
    "同意",
    "已同意",
    "已签",
    "已簽",
    "签",
    "簽",
    "y",
    "yes",
    "true",
    "1",
    "ok",
    "✓",
    "✔",
    "√",
    "☑",
    "agree",
    "agreed",
}
NO = {"否", "不同意", "无", "無", "n", "no", "false", "0", "✗", "✘", "×", "☐", "disagree"}

INTERESTS = {
    "全职": Interest.FULL_TIME,
    "全職": Interest.FULL_TIME,
    "fulltime": Interest.FULL_TIME,
    "兼职": Interest.PART_TIME,
    "兼職": Interest.PART_TIME,
    "parttime": Interest.PART_TIME,
    "项目合作": Interest.PROJECT,
    "項目合作": Interest.PROJECT,
    "project": Interest.PROJECT,
    "projectcollaboration": Interest.PROJECT,
    "创业": Interest.FOUND,
    "創業": Interest.FOUND,
    "startacompany": Interest.FOUND,
    "startup": Interest.FOUND,
    "投资": Interest.INVEST,
    "投資": Interest.INVEST,
    "invest": Interest.INVEST,
    "investment": Interest.INVEST,
    "了解": Interest.EXPLORING,
    "了解一下": Interest.EXPLORING,
    "exploring": Interest.EXPLORING,
    "justexploring": Interest.EXPLORING,
}

COUNT_KEYS = ("contacts_created", "contacts_matched", "attendances_created", "consents_recorded")
