"""Catalogue versions of the LeiKa and their entries."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper

from .choices import TYPISIERUNG_LABELS
from .crosswalk import OLD_SIDE, Change
from .keys import KIND_LABELS, LeikaKey, validate_key


class CatalogueVersion(models.Model):
    name = models.CharField("Bezeichnung", max_length=100, unique=True)
    valid_from = models.DateField("gültig ab")
    source = models.CharField("Quelle", max_length=300, blank=True)
    imported_at = models.DateTimeField("importiert am", auto_now_add=True)
    predecessor = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name="Vorgängerversion",
        help_text="Die Version, gegen die der Abgleich (Crosswalk) dieser Version gerechnet ist.",
    )
    content_hash = models.CharField("Prüfsumme des Inhalts", max_length=64, blank=True, db_index=True, editable=False)

    class Meta:
        verbose_name = "Katalogversion"
        verbose_name_plural = "Katalogversionen"
        ordering = ["valid_from", "name"]
        # The catalogues are shared by every organisation of the installation; changing them is this role's alone.
        permissions = [("maintain_catalogues", "Katalogpflege: LeiKa-Versionen und OZG-Katalog importieren und ändern")]

    def __str__(self):
        return self.name

    def previous(self) -> "CatalogueVersion | None":
        if self.predecessor_id:
            return self.predecessor
        return CatalogueVersion.objects.filter(valid_from__lt=self.valid_from).order_by("-valid_from", "-pk").first()


def validate_typisierung(value) -> None:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError("Die Typisierung muss eine Liste von Codes sein.", code="invalid_typisierung")
    unknown = [code for code in value if code not in TYPISIERUNG_LABELS]
    if unknown:
        raise ValidationError(
            "Unbekannte Typisierung: %(codes)s.", code="unknown_typisierung", params={"codes": ", ".join(unknown)}
        )


def validate_string_list(value) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Erwartet wird eine Liste von Texten.", code="invalid_list")


class LeikaEntryQuerySet(models.QuerySet):
    def family(self, leistungsobjekt: str):
        """All entries of one Leistungsobjekt (the first eight digits of the key)."""
        return self.filter(key__startswith=leistungsobjekt[:8])


class LeikaEntry(models.Model):
    version = models.ForeignKey(
        CatalogueVersion, on_delete=models.CASCADE, related_name="entries", verbose_name="Katalogversion"
    )
    key = models.CharField("Leistungsschlüssel", max_length=14, validators=[validate_key], db_index=True)
    name = models.CharField("Bezeichnung", max_length=500)
    name2 = models.CharField("Bezeichnung 2", max_length=500, blank=True)
    # The names of the key's parts, as the FIM download carries them; the codes follow from the key and are not stored.
    group_name = models.CharField("Name der Leistungsgruppierung", max_length=500, blank=True)
    object_name = models.CharField(
        "Name des Leistungsobjekts",
        max_length=500,
        blank=True,
        help_text="Aus der Spalte „Leistungskennung“, sonst die Bezeichnung des LO-Eintrags derselben Datei.",
    )
    verrichtung_name = models.CharField("Name der Verrichtung", max_length=500, blank=True)
    detail_name = models.CharField("Verrichtungsdetail (Text)", max_length=500, blank=True)
    typisierung = models.JSONField(
        "Typisierung", default=list, blank=True, validators=[validate_typisierung], help_text="Liste von Codes"
    )
    legal_basis = models.TextField("Rechtsgrundlage", blank=True)
    synonyms = models.JSONField("Synonyme", default=list, blank=True, validators=[validate_string_list])
    special_features = models.JSONField(
        "Besondere Merkmale", default=list, blank=True, validators=[validate_string_list]
    )
    published_at = models.DateTimeField("veröffentlicht am", null=True, blank=True)
    change = models.CharField(
        "Änderung zur Vorversion",
        max_length=20,
        choices=Change.choices,
        blank=True,
        db_index=True,
        help_text="Leer in einer Version ohne Vorgänger.",
    )
    predecessor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name="Herkunft in der Vorversion",
        help_text="Derselbe Schlüssel, der aufgeteilte oder zusammengelegte Vorgänger oder der übergeordnete Eintrag.",
    )

    # The name in capitals, kept by the database with the name: a search for part of a name compares with it instead
    # of capitalising every name of a catalogue version for each query.
    name_upper = models.GeneratedField(
        expression=Upper("name"), output_field=models.CharField(max_length=500), db_persist=True
    )

    objects = LeikaEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "LeiKa-Leistung"
        verbose_name_plural = "LeiKa-Leistungen"
        ordering = ["version", "key"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="leika_entry_key_unique_per_version"),
        ]
        # Lists sorted by name read a version's entries in that order instead of sorting them all.
        indexes = [models.Index(fields=["version", "name"], name="leika_entry_name_per_version")]

    def __str__(self):
        return f"{self.key} {self.name}"

    def save(self, *args, **kwargs):
        validate_key(self.key)
        validate_typisierung(self.typisierung)
        super().save(*args, **kwargs)

    @property
    def parsed_key(self) -> LeikaKey:
        return LeikaKey(self.key)

    @property
    def kind(self) -> str:
        return self.parsed_key.kind

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def leistungsobjekt(self) -> str:
        return self.parsed_key.leistungsobjekt

    @property
    def group(self) -> str:
        return self.parsed_key.group

    @property
    def verrichtung(self) -> str:
        return self.parsed_key.verrichtung

    @property
    def detail(self) -> str:
        return self.parsed_key.detail

    @property
    def typisierung_display(self) -> str:
        return ", ".join(self.typisierung)


class CatalogueChange(models.Model):
    """What became of one entry of the previous version in a newer version (the old side of the crosswalk)."""

    version = models.ForeignKey(
        CatalogueVersion, on_delete=models.CASCADE, related_name="changes", verbose_name="neue Katalogversion"
    )
    entry = models.ForeignKey(
        LeikaEntry, on_delete=models.CASCADE, related_name="changes", verbose_name="Eintrag der Vorversion"
    )
    kind = models.CharField("Änderung", max_length=20, choices=[(k.value, k.label) for k in OLD_SIDE], db_index=True)
    successor = models.ForeignKey(
        LeikaEntry,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name="Eintrag der neuen Version",
    )

    class Meta:
        verbose_name = "Katalogänderung"
        verbose_name_plural = "Katalogänderungen"
        ordering = ["version", "entry__key"]
        constraints = [
            models.UniqueConstraint(fields=["version", "entry"], name="catalogue_change_once_per_entry"),
        ]

    def __str__(self):
        return f"{self.entry.key}: {self.get_kind_display()}"
