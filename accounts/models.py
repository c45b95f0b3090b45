"""The project's own user model, so that it can grow (e.g. directory ids from LDAP/OIDC) without a migration of auth."""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    class Meta:
        verbose_name = "Benutzer_in"
        verbose_name_plural = "Benutzer_innen"
        ordering = ["username"]

    def __str__(self):
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username
