"""Accounts: the user model every other app refers to."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Benutzerkonten"
