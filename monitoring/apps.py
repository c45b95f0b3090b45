"""Monitoring: organisations, departments, survey rounds, assessments, OZG plans and the pages built on them."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def create_cache_table(sender, using, verbosity=1, **kwargs):
    """`migrate` alone sets up an installation: the database cache's table comes with it, also where this process uses
    another cache (a server started with other settings on the same database finds it)."""
    from django.conf import settings
    from django.core.management import call_command

    call_command("createcachetable", settings.CACHE_TABLE, database=using, verbosity=max(0, verbosity - 1))


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Digitalisierungsmonitoring"

    def ready(self):
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="monitoring.create_cache_table")
