"""OZG: OZG-Leistungen with their Themenfelder and Lagen, maturity scales and EfA offers."""

from django.apps import AppConfig


class OzgConfig(AppConfig):
    name = "ozg"
    verbose_name = "OZG-Umsetzung"
