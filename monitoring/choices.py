"""Choice sets of the monitoring app; each status carries the colour and pattern of its badge, declared once here."""

from django.db import models


class OrganisationKind(models.TextChoices):
    KREIS = "kreis", "Kreis"
    KREISFREIE_STADT = "kreisfreie_stadt", "kreisfreie Stadt"
    KREISANGEHOERIGE_STADT = "kreisangehoerige_stadt", "kreisangehörige Stadt"
    GEMEINDE = "gemeinde", "Gemeinde"


class OrganisationRole(models.TextChoices):
    IT_STEUERUNG = "it_steuerung", "IT-Steuerung"
    MITARBEIT = "mitarbeit", "Mitarbeit"


class DepartmentRoleKind(models.TextChoices):
    BEARBEITUNG = "bearbeitung", "Bearbeitung"
    LESEN = "lesen", "Lesen"


class ProjectState(models.TextChoices):
    GEPLANT = "geplant", "geplant"
    IN_UMSETZUNG = "in_umsetzung", "in Umsetzung"
    ABGESCHLOSSEN = "abgeschlossen", "abgeschlossen"
    ZURUECKGESTELLT = "zurueckgestellt", "zurückgestellt"


class Status(models.TextChoices):
    """Status clusters of the committee table, in its row order; 'nicht gemeldet' is never counted as Analog."""

    ANALOG = "analog", "Analog"
    KEIN_POTENZIAL = "kein_potenzial", "Kein Optimierungspotenzial"
    PDF = "pdf", "PDF"
    DIGITAL = "digital", "Digital"
    PROJEKT = "projekt", "Projekt in Umsetzung"
    NICHT_GEMELDET = "nicht_gemeldet", "nicht gemeldet"


# The five clusters of the committee paper, in its order; "nicht gemeldet" is shown apart.
REPORTED_STATUSES = (Status.ANALOG, Status.KEIN_POTENZIAL, Status.PDF, Status.DIGITAL, Status.PROJEKT)

STATUS_BADGE = {
    Status.ANALOG: "status-analog",
    Status.KEIN_POTENZIAL: "status-kein-potenzial",
    Status.PDF: "status-pdf",
    Status.DIGITAL: "status-digital",
    Status.PROJEKT: "status-projekt",
    Status.NICHT_GEMELDET: "status-nicht-gemeldet",
}

# The KERN UX badge variant of each status ("" = neutral); the badge always shows the label as text as well.
STATUS_BADGE_VARIANT = {
    Status.ANALOG: "danger",
    Status.KEIN_POTENZIAL: "",
    Status.PDF: "warning",
    Status.DIGITAL: "success",
    Status.PROJEKT: "info",
    Status.NICHT_GEMELDET: "",
}


# The fill of each status's bars in charts: the colour of its badge (chart-status-<value> in dashboard.css takes the
# badge variant's colour) and a pattern of its own, so that no status is told apart by colour alone.
STATUS_PATTERN = {
    Status.ANALOG: "stripes",
    Status.KEIN_POTENZIAL: "dots",
    Status.PDF: "lines",
    Status.DIGITAL: "solid",
    Status.PROJEKT: "grid",
    Status.NICHT_GEMELDET: "open",
}


class Channel(models.TextChoices):
    OWN_PORTAL = "eigenes_portal", "eigenes Serviceportal"
    EFA = "efa", "EfA-Onlinedienst"
    LAND_BUND_PORTAL = "land_bund_portal", "Portal des Landes oder Bundes"


class PlanState(models.TextChoices):
    UMGESETZT = "umgesetzt", "umgesetzt"
    KURZFRISTIG = "kurzfristig", "kurzfristig geplant"
    LANGFRISTIG = "langfristig", "langfristig geplant"
    NICHT_GEPLANT = "nicht_geplant", "nicht geplant"


class ResponsibleKind(models.TextChoices):
    """Who carries out an OZG-Leistung, as the organisation sees it (the catalogue's Zuständigkeit is a default)."""

    KOMMUNAL = "kommunal", "kommunal"
    LAND = "land", "Land"
    BUND = "bund", "Bund"
    NICHT_ZUSTAENDIG = "nicht_zustaendig", "nicht zuständig"


class JobKind(models.TextChoices):
    """Long work that runs in the background with a job record (monitoring.jobs)."""

    IMPORT = "import", "Import"
    OPEN_ROUND = "open_round", "Erhebungsrunde eröffnen"
    SHEET = "sheet", "Tabelle übernehmen"
    EXPORT = "export", "Export"


class JobState(models.TextChoices):
    QUEUED = "queued", "wartet"
    RUNNING = "running", "läuft"
    DONE = "done", "fertig"
    FAILED = "failed", "fehlgeschlagen"
    # The worker died or hit an unexpected error: nothing was saved, the input is kept, the job can be started again.
    INTERRUPTED = "interrupted", "unterbrochen"


JOB_STATE_BADGE_VARIANT = {
    JobState.QUEUED: "",
    JobState.RUNNING: "info",
    JobState.DONE: "success",
    JobState.FAILED: "danger",
    JobState.INTERRUPTED: "danger",
}


class NotificationKind(models.TextChoices):
    """What a person can be told by e-mail (monitoring.notifications); each can be switched off by the person."""

    QUESTION_ASKED = "rueckfrage", "Neue Rückfrage zu einer Leistung meiner Organisationseinheit"
    QUESTION_ANSWERED = "antwort", "Antwort auf eine meiner Rückfragen"
    ROUND_OPENED = "runde", "Eröffnung einer Erhebungsrunde"
    DEADLINE_REMINDER = "frist", "Erinnerung vor der Meldefrist, solange Leistungen unbestätigt sind"
    WEEKLY_DIGEST = "woche", "Wöchentliche Übersicht über den Stand der Runde (IT-Steuerung)"


# Every kind is on until the person switches it off, except the IT office's weekly digest, which is asked for.
NOTIFICATIONS_OFF_BY_DEFAULT = frozenset({NotificationKind.WEEKLY_DIGEST})
