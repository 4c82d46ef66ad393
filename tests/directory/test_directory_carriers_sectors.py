from __future__ import annotations

import pytest

from core.errors import ApplicationError
from directory import services
from directory.models import Carrier, Sector
from directory.selectors import carrier_subtree

pytestmark = pytest.mark.django_db


@pytest.fixture
def snd() -> Carrier:
    snd = services.carrier_create(name="苏州高新区（虎丘区）", kind=Carrier.Kind.DISTRICT, abbreviation="SND")
    science_city = services.carrier_create(name="太湖科学城", kind=Carrier.Kind.SCIENCE_CITY, parent=snd)
    town = services.carrier_create(name="苏州科技城", kind=Carrier.Kind.SCIENCE_CITY, parent=science_city)
    services.carrier_create(
        name="中科院苏州医工所", kind=Carrier.Kind.PLATFORM, parent=town, abbreviation="SIBET"
    )
    services.carrier_create(name="太湖光子科技园", kind=Carrier.Kind.PARK, parent=snd)
    return snd


def test_a_new_carrier_gets_its_path_and_depth_from_its_parent(snd):
    sibet = Carrier.objects.get(abbreviation="SIBET")

    assert sibet.depth == 3
    assert sibet.path.startswith(snd.path)
    assert len(sibet.path) == 4 * 7


def test_moving_a_carrier_moves_its_subtree(snd):
    town = Carrier.objects.get(name="苏州科技城")

    services.carrier_update(carrier=town, parent=snd)

    assert [(c.depth, c.name) for c in carrier_subtree(town)] == [(1, "苏州科技城"), (2, "中科院苏州医工所")]
    assert [c.name for c in carrier_subtree(Carrier.objects.get(name="太湖科学城"))] == ["太湖科学城"]


def test_renaming_a_carrier_keeps_it_in_place(snd):
    park = Carrier.objects.get(name="太湖光子科技园")

    services.carrier_update(carrier=park, parent=snd, name_en="Taihu Photonics Sci-Tech Park")

    park.refresh_from_db()
    assert (park.parent, park.depth, park.name_en) == (snd, 1, "Taihu Photonics Sci-Tech Park")


def test_a_carrier_name_is_unique_among_its_siblings_only(snd, english):
    with pytest.raises(ApplicationError) as refused:
        services.carrier_create(name="太湖光子科技园", kind=Carrier.Kind.PARK, parent=snd)

    assert refused.value.message == "A carrier named “太湖光子科技园” already exists there."

    elsewhere = services.carrier_create(name="太湖光子科技园", kind=Carrier.Kind.PARK)
    assert elsewhere.depth == 0


@pytest.fixture
def quantum() -> Sector:
    quantum = services.sector_create(code="quantum", name="量子", group=Sector.Group.BRIEF, name_en="Quantum")
    services.sector_create(code="quantum-computing", name="量子计算", parent=quantum)
    return quantum


def test_a_sub_sector_takes_its_parents_group(quantum):
    assert Sector.objects.get(code="quantum-computing").group == Sector.Group.BRIEF


def test_a_third_sector_level_is_refused(quantum, english):
    with pytest.raises(ApplicationError) as refused:
        services.sector_create(
            code="qubits", name="量子比特", parent=Sector.objects.get(code="quantum-computing")
        )

    assert refused.value.message == "A sub-sector must be placed under a top-level sector."


def test_a_sector_with_sub_sectors_cannot_become_a_sub_sector(quantum, english):
    other = services.sector_create(code="photonics", name="光子", group=Sector.Group.EMERGING)

    with pytest.raises(ApplicationError) as refused:
        services.sector_update(sector=quantum, parent=other)

    assert refused.value.message == "“量子” has sub-sectors, so it must stay a top-level sector."


def test_a_top_level_sector_needs_a_group(db, english):
    with pytest.raises(ApplicationError) as refused:
        services.sector_create(code="metaverse", name="元宇宙")

    assert refused.value.message == "A top-level sector needs a group."
