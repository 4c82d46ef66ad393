from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from directory.models import Carrier, Holiday, HolidayYear, Organization, OrganizationAlias, Region, Sector
from directory.selectors import carrier_subtree, organization_lookup

pytestmark = pytest.mark.django_db

REFERENCE_MODELS = [Organization, OrganizationAlias, Carrier, Sector, Holiday, HolidayYear]


def delete_reference_rows() -> None:
    OrganizationAlias.objects.all().delete()
    Holiday.objects.all().delete()
    HolidayYear.objects.all().delete()
    for model in (Organization, Carrier, Sector):
        while model.objects.exists():  # parents are protected: leaves first
            model.objects.filter(children__isnull=True).delete()
    for model in REFERENCE_MODELS:
        model.history.all().delete()


@pytest.fixture(scope="module")
def reference_data(django_db_setup, django_db_blocker):
    """Loaded once for this module (it takes a second); each test's own changes still roll back."""
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("load_reference", stdout=out)
        yield out.getvalue()
        delete_reference_rows()


def row_counts() -> dict[str, int]:
    """Rows and history rows of every reference model."""
    return {
        **{model.__name__: model.objects.count() for model in REFERENCE_MODELS},
        **{f"history of {model.__name__}": model.history.count() for model in REFERENCE_MODELS},
    }


def test_loading_the_reference_data_twice_creates_nothing_the_second_time(reference_data, english):
    after_first_run = row_counts()
    out = StringIO()

    call_command("load_reference", stdout=out)

    assert row_counts() == after_first_run
    assert out.getvalue().splitlines() == [
        "Organizations: 38 (0 new)",
        "Organization aliases: 117 (0 new)",
        "Carriers: 20 (0 new)",
        "Sectors: 37 (0 new)",
        "Skipped the Mainland China calendar for 2027: The chinese_calendar package (version 1.11.0) has no "
        "mainland calendar for 2027 yet. Update the package once the State Council has published the year, or "
        "import the year from a CSV file.",
        "Holiday calendar: 169 (0 new)",
        "Calendar years: 7",
    ]


def test_the_first_load_reports_what_it_created(reference_data):
    assert reference_data.splitlines()[:4] == [
        "机构: 38 （新增 38）",
        "机构别名: 117 （新增 117）",
        "载体: 20 （新增 20）",
        "产业领域: 37 （新增 37）",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "HKUST",
        "港科大",
        "科大",
        "香港科技大學",
        "香港科技大学",
        "The Hong Kong University of Science and Technology",
    ],
)
def test_every_usual_name_of_hkust_resolves_to_the_one_loaded_organization(reference_data, text):
    assert organization_lookup(text) == Organization.objects.get(abbreviation="HKUST")


@pytest.mark.parametrize(
    ("text", "abbreviation"),
    [
        ("港大", "HKU"),
        ("中大", "CUHK"),
        ("理大", "PolyU"),
        ("CityUHK", "CityU"),
        ("嶺大", "LingU"),
        ("应科院", "ASTRI"),
    ],
)
def test_short_forms_of_other_institutions_resolve(reference_data, text, abbreviation):
    assert organization_lookup(text).abbreviation == abbreviation


def test_innohk_centres_hang_under_their_universities(reference_data):
    centres = Organization.objects.filter(kind=Organization.Kind.INNOHK_CENTRE).order_by("abbreviation")

    assert [(c.abbreviation, c.parent.abbreviation) for c in centres] == [
        ("AiDLab", "PolyU"),
        ("CAIR", "HKISI"),
        ("CAiRS", "PolyU"),
        ("CEVR", "PolyU"),
        ("COI", "HKU"),
        ("CPII", "CUHK"),
    ]


def test_comparators_are_competing_locations_and_associations_are_channels(reference_data):
    assert sorted(
        Organization.objects.filter(kind=Organization.Kind.COMPETING_LOCATION).values_list("name", "region")
    ) == [
        ("前海深港现代服务业合作区", Region.MAINLAND),
        ("河套深港科技创新合作区", Region.MAINLAND),
        ("港深创新及科技园", Region.HONG_KONG),
        ("香港理工大学无锡科技创新研究院", Region.MAINLAND),
        ("香港科技大学深港协同创新研究院", Region.MAINLAND),
    ]
    assert sorted(Organization.objects.filter(is_channel=True).values_list("name", flat=True)) == [
        "HKU Technology Transfer Office",
        "HKUST Office of Knowledge Transfer",
        "香港江苏社团总会",
        "香港苏州商会",
        "香港青年科学家协会",
    ]


def test_a_carrier_subtree_is_everything_under_its_path(reference_data):
    sip = Carrier.objects.get(abbreviation="SIP")

    assert [(c.depth, c.name) for c in carrier_subtree(sip)] == [
        (0, "苏州工业园区"),
        (1, "独墅湖科教创新区"),
        (2, "中科院苏州纳米所"),
        (1, "苏州生物医药产业园"),
        (1, "苏州纳米城"),
        (1, "材料科学姑苏实验室"),
        (1, "阳澄南岸创新城"),
        (1, "吴淞湾未来城"),
    ]


def test_the_science_and_technology_town_is_in_snd_under_taihu_science_city(reference_data):
    town = Carrier.objects.get(name="苏州科技城")

    assert [c.name for c in Carrier.objects.filter(path__in=town.ancestor_paths())] == [
        "苏州高新区（虎丘区）",
        "太湖科学城",
        "苏州科技城",
    ]
    assert [c.abbreviation for c in carrier_subtree(town)] == ["", "SIBET"]


def test_sectors_are_two_levels_with_the_briefs_six_first(reference_data):
    brief = Sector.objects.filter(parent=None, group=Sector.Group.BRIEF).order_by("pk")

    assert [s.code for s in brief] == [
        "quantum",
        "biomedicine",
        "integrated-circuits",
        "artificial-intelligence",
        "new-energy",
        "industrial-software",
    ]
    assert Sector.objects.filter(parent__parent__isnull=False).count() == 0
    assert list(Sector.objects.get(code="quantum").children.values_list("code", "group")) == [
        ("quantum-communication", Sector.Group.BRIEF),
        ("quantum-computing", Sector.Group.BRIEF),
    ]


def test_the_mainland_years_the_package_has_and_hong_kong_to_2027_are_complete(reference_data):
    assert sorted(HolidayYear.objects.values_list("region", "year")) == [
        ("CN", 2024),
        ("CN", 2025),
        ("CN", 2026),
        ("HK", 2024),
        ("HK", 2025),
        ("HK", 2026),
        ("HK", 2027),
    ]
