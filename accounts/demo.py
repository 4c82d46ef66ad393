"""Demo units and staff. The staff are fictional; the printed logins exist only in the embedded demo."""

from __future__ import annotations

from accounts import services
from accounts.models import Unit, UnitMembership, User
from accounts.roles import Role
from core.seeding import DemoContext

# (key, parent key, kind, zh-hans, zh-hant, en)
UNITS = [
    (
        "bureau",
        None,
        Unit.Kind.BUREAU,
        "市投资促进局",
        "市投資促進局",
        "Municipal Investment Promotion Bureau",
    ),
    ("hk", "bureau", Unit.Kind.SECTION, "香港合作处", "香港合作處", "Hong Kong Cooperation Division"),
    ("hk_office", "hk", Unit.Kind.OFFICE, "驻港联络组", "駐港聯絡組", "Hong Kong Liaison Office"),
    (
        "industry1",
        "bureau",
        Unit.Kind.SECTION,
        "产业招商一处",
        "產業招商一處",
        "Industry Promotion Division I",
    ),
    (
        "industry2",
        "bureau",
        Unit.Kind.SECTION,
        "产业招商二处",
        "產業招商二處",
        "Industry Promotion Division II",
    ),
    ("carriers", "bureau", Unit.Kind.SECTION, "载体服务处", "載體服務處", "Carrier Services Division"),
    ("sip_team", "carriers", Unit.Kind.CARRIER_TEAM, "园区载体团队", "園區載體團隊", "SIP Carrier Team"),
    ("snd_team", "carriers", Unit.Kind.CARRIER_TEAM, "高新区载体团队", "高新區載體團隊", "SND Carrier Team"),
]

# The logins printed by `make run`: (username, password, roles, unit key, role in unit, surname, given name)
LOGINS = [
    ("officer", "officer-demo-2026", [Role.OFFICER], "hk", UnitMembership.Role.MEMBER, "林", "嘉言"),
    ("manager", "manager-demo-2026", [Role.MANAGER], "hk", UnitMembership.Role.HEAD, "周", "慧敏"),
    ("director", "director-demo-2026", [Role.MANAGER], "bureau", UnitMembership.Role.HEAD, "沈", "立诚"),
    (
        "recorder",
        "recorder-demo-2026",
        [Role.RECORDER],
        "hk_office",
        UnitMembership.Role.MEMBER,
        "何",
        "晓彤",
    ),
    ("viewer", "viewer-demo-2026", [Role.REPORT_VIEWER], "bureau", UnitMembership.Role.MEMBER, "钱", "书宁"),
    ("admin", "admin-demo-2026", [Role.ADMINISTRATOR], None, None, "系统", "管理员"),
]

# More fictional officers (no password: they cannot log in) so lists have several owners per unit.
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "徐", "孙", "朱", "马", "胡", "郭"]
GIVEN = ["思远", "雨桐", "子涵", "浩然", "欣怡", "明轩", "若曦", "俊杰", "佳琪", "一鸣", "语嫣", "博文"]
STAFF_UNITS = ["hk", "hk_office", "industry1", "industry1", "industry2", "industry2", "sip_team", "snd_team"]


def seed(ctx: DemoContext) -> None:
    for key, parent, kind, name, name_hant, name_en in UNITS:
        ctx.units[key] = services.unit_create(
            name=name, parent=ctx.units.get(parent), kind=kind, name_zh_hant=name_hant, name_en=name_en
        )
    for username, password, roles, unit_key, unit_role, surname, given in LOGINS:
        user = services.user_create(
            username=username,
            password=password,
            roles=roles,
            last_name=surname,
            first_name=given,
            email=f"{username}@demo.invalid",
        )
        if username == "admin":
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        if unit_key:
            services.membership_set(user=user, unit=ctx.units[unit_key], role=unit_role)
        ctx.users[username] = user
        ctx.printed_logins.append((username, password, ", ".join(str(Role(r).label) for r in roles)))
    for index, unit_key in enumerate(STAFF_UNITS, start=1):
        user = services.user_create(
            username=f"staff{index:02d}",
            password=None,
            roles=[Role.OFFICER],
            last_name=ctx.rng.choice(SURNAMES),
            first_name=ctx.rng.choice(GIVEN),
            email=f"staff{index:02d}@demo.invalid",
        )
        services.membership_set(user=user, unit=ctx.units[unit_key])
        ctx.users[user.username] = user


def clear() -> None:
    UnitMembership.objects.all().delete()
    # Children before parents: the tree protects a unit that still has sub-units.
    for unit in Unit.objects.order_by("-depth"):
        unit.delete()
    User.objects.all().delete()


def logins() -> list[tuple[str, str, str]]:
    """The demo logins that still exist, for printing."""
    existing = set(
        User.objects.filter(username__in=[row[0] for row in LOGINS]).values_list("username", flat=True)
    )
    return [
        (username, password, ", ".join(str(Role(r).label) for r in roles))
        for username, password, roles, *_ in LOGINS
        if username in existing
    ]
