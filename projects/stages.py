"""The two tracks' stages, fixed in code: their order, phase and track."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Track(models.TextChoices):
    ORGANIZATION = "org", _("Organization track")
    TALENT = "talent", _("Talent track")


class Phase(models.TextChoices):
    ATTRACTION = "attraction", _("Attraction")
    LANDING = "landing", _("Landing")
    CONVERSION = "conversion", _("Conversion")


class Stage(models.TextChoices):
    # Organization track
    LEAD = "LEAD", pgettext_lazy("stage", "Lead")
    QUALIFIED = "QUALIFIED", pgettext_lazy("stage", "Qualified")
    ENGAGED = "ENGAGED", pgettext_lazy("stage", "Engaged")
    VISITED = "VISITED", pgettext_lazy("stage", "Site visit")
    NEGOTIATING = "NEGOTIATING", pgettext_lazy("stage", "Negotiating")
    SIGNED = "SIGNED", pgettext_lazy("stage", "Signed")
    REGISTERED = "REGISTERED", pgettext_lazy("stage", "Registered")
    MOVED_IN = "MOVED_IN", pgettext_lazy("stage", "Moved in")
    OPERATING = "OPERATING", pgettext_lazy("stage", "Operating")
    PILOT = "PILOT", pgettext_lazy("stage", "Pilot")
    PRODUCING = "PRODUCING", pgettext_lazy("stage", "In production")
    FIRST_REVENUE = "FIRST_REVENUE", pgettext_lazy("stage", "First customer")
    SCALED = "SCALED", pgettext_lazy("stage", "Scaled")
    # Talent track
    T_LEAD = "T_LEAD", pgettext_lazy("talent stage", "Lead")
    T_ENGAGED = "T_ENGAGED", pgettext_lazy("talent stage", "Engaged")
    T_INTERESTED = "T_INTERESTED", pgettext_lazy("talent stage", "Interested")
    T_VISITED = "T_VISITED", pgettext_lazy("talent stage", "Visited Suzhou")
    T_OFFERED = "T_OFFERED", pgettext_lazy("talent stage", "Offer or agreement")
    T_ARRIVED = "T_ARRIVED", pgettext_lazy("talent stage", "Arrived")
    T_AWARDED = "T_AWARDED", pgettext_lazy("talent stage", "Talent programme award")
    T_FOUNDED = "T_FOUNDED", pgettext_lazy("talent stage", "Founded a company or transferred technology")
    T_RETAINED = "T_RETAINED", pgettext_lazy("talent stage", "Retained")


@dataclass(frozen=True)
class StageInfo:
    track: str
    phase: str
    order: int


_TRACKS = {
    Track.ORGANIZATION: [
        (
            Phase.ATTRACTION,
            [Stage.LEAD, Stage.QUALIFIED, Stage.ENGAGED, Stage.VISITED, Stage.NEGOTIATING, Stage.SIGNED],
        ),
        (Phase.LANDING, [Stage.REGISTERED, Stage.MOVED_IN, Stage.OPERATING]),
        (Phase.CONVERSION, [Stage.PILOT, Stage.PRODUCING, Stage.FIRST_REVENUE, Stage.SCALED]),
    ],
    Track.TALENT: [
        (
            Phase.ATTRACTION,
            [Stage.T_LEAD, Stage.T_ENGAGED, Stage.T_INTERESTED, Stage.T_VISITED, Stage.T_OFFERED],
        ),
        (Phase.LANDING, [Stage.T_ARRIVED, Stage.T_AWARDED]),
        (Phase.CONVERSION, [Stage.T_FOUNDED, Stage.T_RETAINED]),
    ],
}

STAGES: dict[str, StageInfo] = {}
TRACK_STAGES: dict[str, list[str]] = {}
for _track, _phases in _TRACKS.items():
    TRACK_STAGES[_track] = []
    for _phase, _stages in _phases:
        for _stage in _stages:
            STAGES[_stage] = StageInfo(track=_track, phase=_phase, order=len(TRACK_STAGES[_track]))
            TRACK_STAGES[_track].append(_stage)

FIRST_STAGE = {track: stages[0] for track, stages in TRACK_STAGES.items()}


def stage_order(stage: str) -> int:
    return STAGES[stage].order


def stage_phase(stage: str) -> str:
    return STAGES[stage].phase


def stages_of_phase(phase: str) -> list[str]:
    return [s for s, info in STAGES.items() if info.phase == phase]
