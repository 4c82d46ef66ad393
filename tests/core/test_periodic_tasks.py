"""The periodic tasks beat runs are rows written by one idempotent command."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

pytestmark = pytest.mark.django_db


def snapshot():
    return sorted(PeriodicTask.objects.values_list("name", "task", "interval__every", "enabled"))


def test_the_command_writes_every_scheduled_task_once(settings):
    settings.CELERY_BEAT_SCHEDULE = {
        "reminders-sweep": {"task": "reminders.tasks.sweep", "schedule": 60.0},
        "purge-unattached-documents": {
            "task": "projects.tasks.purge_unattached_documents",
            "schedule": 3600.0,
        },
    }
    call_command("sync_periodic_tasks", verbosity=0)
    first = snapshot()
    call_command("sync_periodic_tasks", verbosity=0)
    assert (
        snapshot()
        == first
        == [
            ("purge-unattached-documents", "projects.tasks.purge_unattached_documents", 3600, True),
            ("reminders-sweep", "reminders.tasks.sweep", 60, True),
        ]
    )
    assert IntervalSchedule.objects.count() == 2


def test_a_changed_interval_moves_the_task_and_keeps_an_administrators_switch(settings):
    settings.CELERY_BEAT_SCHEDULE = {"reminders-sweep": {"task": "reminders.tasks.sweep", "schedule": 60.0}}
    call_command("sync_periodic_tasks", verbosity=0)
    PeriodicTask.objects.filter(name="reminders-sweep").update(enabled=False)
    settings.CELERY_BEAT_SCHEDULE = {"reminders-sweep": {"task": "reminders.tasks.sweep", "schedule": 5.0}}
    call_command("sync_periodic_tasks", verbosity=0)
    assert snapshot() == [("reminders-sweep", "reminders.tasks.sweep", 5, False)]
