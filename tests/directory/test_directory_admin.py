from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directory import services
from directory.models import Carrier, Holiday, HolidayYear, Organization, OrganizationAlias, Region, Sector
from directory.selectors import organization_lookup

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def changelist(model: str) -> str:
    return reverse(f"admin:directory_{model}_changelist")


# --- Query counts: 2 rows and 20 rows cost the same ------------------------------------------------------------
#
# Every changelist below runs, for the superuser:
#   1. the session;  2. the user;
#   3. COUNT of the filtered rows (paginator);  4. COUNT of all rows ("n of m selected");
#   5. the page of rows, with list_select_related joined in.
# The Holiday list adds one query before the counts: the distinct years for its year filter.


def add_organization_pairs(count: int) -> None:
    """`count` universities, each with a centre under it; every row has a parent or child and 2+ aliases."""
    start = Organization.objects.count() // 2
    for i in range(start, start + count):
        parent = services.organization_create(
            kind=Organization.Kind.UNIVERSITY, name=f"示例大学{i}", abbreviation=f"U{i}", aliases=[f"大学{i}"]
        )
        services.organization_create(
            kind=Organization.Kind.INNOHK_CENTRE,
            name=f"示例中心{i}",
            parent=parent,
            aliases=[f"C{i}", f"中心{i}"],
        )


def test_organization_list_queries_do_not_grow_with_rows(admin_client, django_assert_num_queries):
    add_organization_pairs(1)
    with django_assert_num_queries(5):
        assert admin_client.get(changelist("organization")).status_code == 200

    add_organization_pairs(9)
    with django_assert_num_queries(5):
        response = admin_client.get(changelist("organization"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 20


def add_carrier_pairs(count: int) -> None:
    start = Carrier.objects.count() // 2
    for i in range(start, start + count):
        park = services.carrier_create(name=f"示例园区{i}", kind=Carrier.Kind.PARK)
        services.carrier_create(name=f"示例楼宇{i}", kind=Carrier.Kind.BUILDING, parent=park)


def test_carrier_list_queries_do_not_grow_with_rows(admin_client, django_assert_num_queries):
    add_carrier_pairs(1)
    with django_assert_num_queries(5):
        assert admin_client.get(changelist("carrier")).status_code == 200

    add_carrier_pairs(9)
    with django_assert_num_queries(5):
        response = admin_client.get(changelist("carrier"))

    assert response.context["cl"].result_count == 20


def test_carrier_list_is_in_tree_order_and_indented_by_depth(admin_client):
    add_carrier_pairs(2)

    response = admin_client.get(changelist("carrier"))

    assert [c.name for c in response.context["cl"].result_list] == [
        "示例园区0",
        "示例楼宇0",
        "示例园区1",
        "示例楼宇1",
    ]
    assert '<span style="padding-left:1.5em">示例楼宇0</span>' in response.content.decode()


def add_sector_pairs(count: int) -> None:
    start = Sector.objects.count() // 2
    for i in range(start, start + count):
        top = services.sector_create(code=f"sector-{i}", name=f"产业{i}", group=Sector.Group.PILLAR)
        services.sector_create(code=f"sector-{i}-sub", name=f"细分{i}", parent=top)


def test_sector_list_queries_do_not_grow_with_rows(admin_client, django_assert_num_queries):
    add_sector_pairs(1)
    with django_assert_num_queries(5):
        assert admin_client.get(changelist("sector")).status_code == 200

    add_sector_pairs(9)
    with django_assert_num_queries(5):
        response = admin_client.get(changelist("sector"))

    assert response.context["cl"].result_count == 20


def add_holidays(count: int) -> None:
    start = Holiday.objects.count()
    for i in range(start, start + count):
        region = Region.MAINLAND if i % 2 else Region.HONG_KONG
        services.holiday_set(
            region=region, date=dt.date(2030 + i % 2, 1, 1) + dt.timedelta(days=i), kind=Holiday.Kind.DAY_OFF
        )


def test_holiday_list_queries_do_not_grow_with_rows(admin_client, django_assert_num_queries):
    add_holidays(2)
    with django_assert_num_queries(6):
        assert admin_client.get(changelist("holiday")).status_code == 200

    add_holidays(18)
    with django_assert_num_queries(6):
        response = admin_client.get(changelist("holiday"))

    assert response.context["cl"].result_count == 20


def test_holiday_list_filters_by_year_region_and_kind(admin_client):
    add_holidays(4)

    response = admin_client.get(changelist("holiday"), {"year": "2031", "region": "CN", "kind": "day_off"})

    assert [h.date for h in response.context["cl"].result_list] == [dt.date(2031, 1, 2), dt.date(2031, 1, 4)]


@pytest.mark.parametrize("model", ["organizationalias", "holidayyear"])
def test_the_other_reference_lists_answer(admin_client, model):
    add_organization_pairs(1)
    services.holiday_year_mark_complete(region=Region.HONG_KONG, year=2030, source="test")

    assert admin_client.get(changelist(model)).status_code == 200


# --- Organizations ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("term", ["港科大", "h.k.u.s.t", "香港科技大學", "science & technology"])
def test_organizations_are_searched_by_any_alias(admin_client, hkust, term):
    services.organization_create(kind=Organization.Kind.UNIVERSITY, name="香港中文大学", abbreviation="CUHK")

    response = admin_client.get(changelist("organization"), {"q": term})

    assert list(response.context["cl"].result_list) == [hkust]


def test_the_organization_autocomplete_searches_aliases(admin_client, hkust):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "directory", "model_name": "organization", "field_name": "parent", "term": "港科"},
    )

    assert [row["id"] for row in response.json()["results"]] == [str(hkust.pk)]


def organization_form(**fields) -> dict:
    data = {
        "kind": Organization.Kind.UNIVERSITY,
        "region": Region.HONG_KONG,
        "name": "",
        "name_zh_hant": "",
        "name_en": "",
        "abbreviation": "",
        "parent": "",
        "website": "",
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
        "aliases-MIN_NUM_FORMS": "0",
        "aliases-MAX_NUM_FORMS": "1000",
    }
    return {**data, **fields}


def test_adding_an_organization_in_the_admin_registers_names_and_inline_aliases(admin_client):
    data = organization_form(
        name="香港理工大学",
        name_zh_hant="香港理工大學",
        abbreviation="PolyU",
        **{"aliases-TOTAL_FORMS": "1", "aliases-0-alias": "理大"},
    )

    response = admin_client.post(reverse("admin:directory_organization_add"), data)

    assert response.status_code == 302
    polyu = Organization.objects.get()
    assert sorted(polyu.aliases.values_list("alias", flat=True)) == ["PolyU", "理大", "香港理工大学"]


def test_an_inline_alias_of_another_organization_is_a_form_error(admin_client, hkust):
    data = organization_form(name="香港中文大学", **{"aliases-TOTAL_FORMS": "1", "aliases-0-alias": "HKUST"})

    response = admin_client.post(reverse("admin:directory_organization_add"), data, **EN)

    assert response.status_code == 200
    assert "“HKUST” is already an alias of 香港科技大学 (HKUST)." in response.content.decode()
    assert Organization.objects.count() == 1


def existing_aliases(organization: Organization, delete: set[str] = frozenset()) -> dict:
    rows = list(organization.aliases.order_by("pk"))
    data = {"aliases-TOTAL_FORMS": str(len(rows)), "aliases-INITIAL_FORMS": str(len(rows))}
    for i, row in enumerate(rows):
        data[f"aliases-{i}-id"] = str(row.pk)
        data[f"aliases-{i}-organization"] = str(organization.pk)
        if row.alias in delete:
            data[f"aliases-{i}-DELETE"] = "on"
    return data


def test_renaming_in_the_admin_keeps_aliases_in_sync_and_deletes_an_inline_alias(admin_client):
    cityu = services.organization_create(
        kind=Organization.Kind.UNIVERSITY,
        name="香港城市大学",
        abbreviation="CityU",
        aliases=["城大", "城市大学"],
    )
    data = organization_form(
        name="香港城市大学", abbreviation="CityUHK", **existing_aliases(cityu, delete={"城市大学"})
    )

    response = admin_client.post(reverse("admin:directory_organization_change", args=[cityu.pk]), data)

    assert response.status_code == 302
    assert sorted(cityu.aliases.values_list("alias", flat=True)) == ["CityUHK", "城大", "香港城市大学"]


def test_deleting_a_name_alias_in_the_admin_is_refused_with_a_message(admin_client, hkust):
    data = organization_form(
        name="香港科技大学",
        name_zh_hant="香港科技大學",
        name_en="The Hong Kong University of Science and Technology",
        abbreviation="HKUST",
        **existing_aliases(hkust, delete={"HKUST"}),
    )
    url = reverse("admin:directory_organization_change", args=[hkust.pk])

    response = admin_client.post(url, data, follow=True, **EN)

    assert response.redirect_chain == [(url, 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "“HKUST” is a name of 香港科技大学 (HKUST). Change the name instead of removing the alias."
    ]
    assert organization_lookup("HKUST") == hkust


def test_an_alias_row_added_on_its_own_page_goes_through_the_service(admin_client, hkust):
    response = admin_client.post(
        reverse("admin:directory_organizationalias_add"),
        {"organization": hkust.pk, "alias": "H.K.U.S.T. (Clear Water Bay)"},
    )

    assert response.status_code == 302
    assert OrganizationAlias.objects.get(alias="H.K.U.S.T. (Clear Water Bay)").key == "hkustclearwaterbay"


# --- Carriers and sectors --------------------------------------------------------------------------------------


def test_adding_a_carrier_in_the_admin_gives_it_a_tree_path(admin_client):
    sip = services.carrier_create(name="苏州工业园区", kind=Carrier.Kind.DISTRICT, abbreviation="SIP")
    data = {"name": "苏州纳米城", "kind": Carrier.Kind.PARK, "parent": sip.pk, "is_active": "on"}

    response = admin_client.post(reverse("admin:directory_carrier_add"), data)

    assert response.status_code == 302
    nanopolis = Carrier.objects.get(name="苏州纳米城")
    assert (nanopolis.depth, nanopolis.path) == (1, f"{sip.pk:06d}/{nanopolis.pk:06d}/")


def test_a_third_sector_level_is_a_form_error_in_the_admin(admin_client):
    top = services.sector_create(code="quantum", name="量子", group=Sector.Group.BRIEF)
    sub = services.sector_create(code="quantum-computing", name="量子计算", parent=top)
    data = {"code": "qubits", "group": Sector.Group.BRIEF, "name": "量子比特", "parent": sub.pk}

    response = admin_client.post(reverse("admin:directory_sector_add"), data, **EN)

    assert response.status_code == 200
    assert "A sub-sector must be placed under a top-level sector." in response.content.decode()
    assert Sector.objects.count() == 2


# --- Holiday calendar ------------------------------------------------------------------------------------------


def test_the_import_page_answers(admin_client):
    assert admin_client.get(reverse("admin:directory_holiday_import")).status_code == 200


def test_importing_a_csv_in_the_admin_creates_the_days(admin_client):
    upload = SimpleUploadedFile("2027.csv", "date,region,kind,name\n2027-01-01,CN,休,元旦\n".encode())

    response = admin_client.post(
        reverse("admin:directory_holiday_import"),
        {"file": upload, "region": "", "mark_complete": "on"},
        follow=True,
        **EN,
    )

    assert response.redirect_chain == [(changelist("holiday"), 302)]
    assert [str(m) for m in response.context["messages"]] == ["Imported: 1 new days, 0 changed, 0 unchanged."]
    assert list(HolidayYear.objects.values_list("region", "year")) == [(Region.MAINLAND, 2027)]


def test_a_bad_csv_in_the_admin_is_an_error_message_and_changes_nothing(admin_client):
    upload = SimpleUploadedFile(
        "2027.csv", b"date,region,kind,name\n2027-01-01,CN,day_off,ok\nnot a date,CN,day_off,\n"
    )

    response = admin_client.post(reverse("admin:directory_holiday_import"), {"file": upload}, **EN)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was imported. Fix these rows and import the file again: "
        "row 3: “not a date” is not a date (write 2027-01-01)."
    ]
    assert Holiday.objects.count() == 0


def test_loading_a_year_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:directory_holidayyear_load"), {"region": "HK", "year": "2027"}, follow=True
    )

    assert response.redirect_chain == [(changelist("holidayyear"), 302)]
    assert Holiday.objects.filter(region=Region.HONG_KONG).count() == 15


def test_loading_a_year_the_package_lacks_is_an_error_message_not_a_500(admin_client):
    response = admin_client.post(
        reverse("admin:directory_holidayyear_load"), {"region": "CN", "year": "2027"}, **EN
    )

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "The chinese_calendar package (version 1.11.0) has no mainland calendar for 2027 yet. Update the package "
        "once the State Council has published the year, or import the year from a CSV file."
    ]
    assert HolidayYear.objects.count() == 0


def test_reloading_selected_years_uses_the_packages_and_refusals_become_messages(admin_client):
    services.holiday_year_mark_complete(region=Region.MAINLAND, year=2027, source="by hand")
    services.holiday_year_mark_complete(region=Region.HONG_KONG, year=2027, source="by hand")
    data = {
        "action": "reload_from_packages",
        "_selected_action": list(HolidayYear.objects.values_list("pk", flat=True)),
    }

    response = admin_client.post(changelist("holidayyear"), data, follow=True, **EN)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "The chinese_calendar package (version 1.11.0) has no mainland calendar for 2027 yet. Update the package "
        "once the State Council has published the year, or import the year from a CSV file."
    ]
    assert Holiday.objects.count() == 0  # the Hong Kong reload rolled back with the refused mainland one


def test_adding_a_holiday_year_by_hand_announces_it(
    admin_client, completed_years, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:directory_holidayyear_add"),
            {"region": "CN", "year": "2027", "source": "国务院办公厅通知"},
        )

    assert response.status_code == 302
    assert completed_years == [(Region.MAINLAND, 2027)]


@pytest.fixture
def one_of_each(hkust) -> dict[str, object]:
    carrier = services.carrier_create(name="苏州工业园区", kind=Carrier.Kind.DISTRICT)
    sector = services.sector_create(code="quantum", name="量子", group=Sector.Group.BRIEF)
    holiday = services.holiday_set(
        region=Region.MAINLAND, date=dt.date(2027, 1, 1), kind=Holiday.Kind.DAY_OFF
    )
    year = services.holiday_year_mark_complete(region=Region.MAINLAND, year=2027, source="test")
    return {
        "organization": hkust,
        "organizationalias": hkust.aliases.first(),
        "carrier": carrier,
        "sector": sector,
        "holiday": holiday,
        "holidayyear": year,
    }


REFERENCE_MODELS = ["organization", "organizationalias", "carrier", "sector", "holiday", "holidayyear"]


@pytest.mark.parametrize("model", REFERENCE_MODELS)
def test_every_reference_add_page_answers(admin_client, model):
    assert admin_client.get(reverse(f"admin:directory_{model}_add")).status_code == 200


@pytest.mark.parametrize("model", REFERENCE_MODELS)
@pytest.mark.parametrize("page", ["change", "history", "delete"])
def test_every_reference_object_page_answers(admin_client, one_of_each, model, page):
    url = reverse(f"admin:directory_{model}_{page}", args=[one_of_each[model].pk])

    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("view", ["admin:directory_holiday_import", "admin:directory_holidayyear_load"])
def test_the_calendar_tools_are_refused_to_staff_without_calendar_permissions(
    client, django_user_model, view
):
    officer = django_user_model.objects.create_user(username="officer", password="x", is_staff=True)
    client.force_login(officer)

    assert client.get(reverse(view)).status_code == 403
