"""The first personal information collection statement, in the three scripts the forms are shown in."""

import datetime

from django.db import migrations

ZH_HANS = """个人资料收集声明（第 1 版）
苏州市招商部门在活动现场及网上登记时收集您的姓名、联系方式、工作单位与兴趣，用于以下您分别勾选的用途：
（一）就合作、落户或人才计划与您后续联系；
（二）向您发送活动与政策资讯；
（三）将您的资料提供给苏州相关园区载体及合作部门，以便对接；
（四）在中国内地存储和处理您的资料。
提供资料属自愿；不提供联系方式则无法后续联系。您可随时查阅、更正您的资料，或撤回任何一项同意，撤回后我们将停止相应用途。我们不会收集身份证件号码。"""

ZH_HANT = """個人資料收集聲明（第 1 版）
蘇州市招商部門在活動現場及網上登記時收集您的姓名、聯絡方式、工作單位與興趣，用於以下您分別勾選的用途：
（一）就合作、落戶或人才計劃與您後續聯絡；
（二）向您發送活動與政策資訊；
（三）將您的資料提供予蘇州相關園區載體及合作部門，以便對接；
（四）在中國內地儲存及處理您的資料。
提供資料屬自願；不提供聯絡方式則無法後續聯絡。您可隨時查閱、更正您的資料，或撤回任何一項同意，撤回後我們將停止相應用途。我們不會收集身份證件號碼。"""

EN = """Personal Information Collection Statement (version 1)
The Suzhou investment promotion office collects your name, contact details, employer and interests at events and
through online registration, for the purposes you tick separately below:
(a) following up with you about collaboration, setting up in Suzhou or talent programmes;
(b) sending you news of events and policies;
(c) passing your details to Suzhou parks, carriers and partner departments so that they can contact you;
(d) storing and processing your details on the Chinese mainland.
Giving your details is voluntary; without contact details we cannot follow up. You may see and correct your
details, or withdraw any consent, at any time; we then stop that use. We do not collect identity document numbers."""


def publish(apps, schema_editor):
    ConsentText = apps.get_model("talent", "ConsentText")
    ConsentText.objects.get_or_create(
        version="1",
        defaults={
            "body_zh_hans": ZH_HANS,
            "body_zh_hant": ZH_HANT,
            "body_en": EN,
            "published_on": datetime.date(2026, 1, 1),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("talent", "0002_contacts_identity_consent")]

    operations = [migrations.RunPython(publish, migrations.RunPython.noop)]
