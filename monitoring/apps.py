"""Monitoring: organisations, departments, survey rounds, assessments, OZG plans and the pages built on them."""

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Digitalisierungsmonitoring"
