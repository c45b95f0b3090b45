"""LeiKa: the national catalogue of administrative services and its yearly versions."""

from django.apps import AppConfig


class LeikaConfig(AppConfig):
    name = "leika"
    verbose_name = "LeiKa-Leistungskatalog"
