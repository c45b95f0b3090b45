"""OZG-Leistungen, their Themenfelder and Lagen, maturity scales with levels, and EfA offers."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from leika.models import LeikaEntry

from .choices import EfaKind, LageKind, Land, Zustaendigkeit


class Themenfeld(models.Model):
    name = models.CharField("Bezeichnung", max_length=100, unique=True)

    class Meta:
        verbose_name = "Themenfeld"
        verbose_name_plural = "Themenfelder"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Lage(models.Model):
    name = models.CharField("Bezeichnung", max_length=200, unique=True)
    kind = models.CharField("Art", max_length=20, choices=LageKind.choices, blank=True)

    class Meta:
        verbose_name = "Lage"
        verbose_name_plural = "Lagen"
        ordering = ["name"]

    def __str__(self):
        return self.name


class OzgLeistungQuerySet(models.QuerySet):
    def current(self):
        """The OZG-Leistungen of the catalogue as it stands: without the withdrawn ones."""
        return self.filter(withdrawn_on__isnull=True)


class OzgLeistung(models.Model):
    ozg_id = models.PositiveIntegerField(
        "OZG-ID", unique=True, validators=[MinValueValidator(10000), MaxValueValidator(99999)]
    )
    name = models.CharField("Bezeichnung", max_length=300)
    lage = models.ForeignKey(Lage, on_delete=models.PROTECT, null=True, blank=True, verbose_name="Lage")
    themenfeld = models.ForeignKey(Themenfeld, on_delete=models.PROTECT, verbose_name="Themenfeld")
    zustaendigkeit = models.CharField(
        "Zuständigkeit", max_length=10, choices=Zustaendigkeit.choices, blank=True, db_index=True
    )
    leika_entries = models.ManyToManyField(
        LeikaEntry, blank=True, related_name="ozg_leistungen", verbose_name="LeiKa-Leistungen"
    )
    # Kept, not deleted: plans and links of past rounds still point here; counts leave withdrawn ones out.
    withdrawn_on = models.DateField("entfallen seit", null=True, blank=True)

    objects = OzgLeistungQuerySet.as_manager()

    class Meta:
        verbose_name = "OZG-Leistung"
        verbose_name_plural = "OZG-Leistungen"
        ordering = ["ozg_id"]

    def __str__(self):
        return f"{self.ozg_id} {self.name}"


class MaturityScale(models.Model):
    code = models.SlugField("Kürzel", max_length=40, unique=True)
    name = models.CharField("Bezeichnung", max_length=200)
    description = models.TextField("Beschreibung", blank=True)
    valid_from = models.DateField("gültig ab", null=True, blank=True)
    valid_until = models.DateField("gültig bis", null=True, blank=True)

    class Meta:
        verbose_name = "Reifegradskala"
        verbose_name_plural = "Reifegradskalen"
        ordering = ["name"]

    def __str__(self):
        return self.name


def level_name(value: int, label: str) -> str:
    """How a maturity level is named on every page and in every file: "3 – Online-Leistung"."""
    return f"{value} – {label}"


class MaturityLevel(models.Model):
    scale = models.ForeignKey(
        MaturityScale, on_delete=models.CASCADE, related_name="levels", verbose_name="Reifegradskala"
    )
    value = models.PositiveSmallIntegerField("Stufe")
    label = models.CharField("Bezeichnung", max_length=200)
    description = models.TextField("Beschreibung", blank=True)

    class Meta:
        verbose_name = "Reifegrad"
        verbose_name_plural = "Reifegrade"
        ordering = ["scale", "value"]
        constraints = [models.UniqueConstraint(fields=["scale", "value"], name="maturity_level_unique_per_scale")]

    def __str__(self):
        return level_name(self.value, self.label)


class EfaOffer(models.Model):
    ozg_leistung = models.ForeignKey(
        OzgLeistung, on_delete=models.PROTECT, related_name="efa_offers", verbose_name="OZG-Leistung"
    )
    name = models.CharField("Bezeichnung", max_length=300)
    providing_land = models.CharField("bereitstellendes Land", max_length=4, choices=Land.choices)
    kind = models.CharField("Art der EfA-Nachnutzung", max_length=30, choices=EfaKind.choices)
    available_from = models.DateField("verfügbar ab", null=True, blank=True)

    class Meta:
        verbose_name = "EfA-Angebot"
        verbose_name_plural = "EfA-Angebote"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.get_providing_land_display()})"
