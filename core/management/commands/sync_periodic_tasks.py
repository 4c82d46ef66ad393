from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Write the periodic tasks of CELERY_BEAT_SCHEDULE into django-celery-beat's tables (idempotent: run it "
        "after every migrate). Intervals follow the settings; an administrator's 'enabled' switch is kept."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        from django_celery_beat.models import IntervalSchedule, PeriodicTask

        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=int(entry["schedule"]), period=IntervalSchedule.SECONDS
            )
            task, created = PeriodicTask.objects.get_or_create(
                name=name, defaults={"task": entry["task"], "interval": interval}
            )
            if not created and (task.task, task.interval_id) != (entry["task"], interval.pk):
                task.task, task.interval = entry["task"], interval
                task.save(update_fields=["task", "interval"])
            self.stdout.write(
                f"{name}: {entry['task']} every {interval.every} s{' (new)' if created else ''}"
            )
