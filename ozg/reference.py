"""Reference data every installation needs: the 14 Themenfelder and the maturity scales with their levels.

Seeded by a data migration; kept in a module of its own so that tests and the demo refer to the same definitions.
"""

import datetime

from .choices import THEMENFELDER

SCALE_OZG_1_1 = "ozg-1-1"
SCALE_OZG_2_0 = "ozg-2-0"
SCALE_KOMMUNAL_0_5 = "kommunal-0-5"
SCALE_BERLIN = "berlin-0-5"

MATURITY_SCALES = [
    {
        "code": SCALE_OZG_1_1,
        "name": "OZG-Reifegradmodell 1.1",
        "description": "Reifegradmodell des OZG-Programms, gültig von Juni 2020 bis Juli 2025.",
        "valid_from": datetime.date(2020, 6, 1),
        "valid_until": datetime.date(2025, 6, 30),
        "levels": [
            (0, "Offline", "Keine Informationen online verfügbar."),
            (1, "Information", "Informationen zur Leistung sind online verfügbar."),
            (2, "Formular-Assistent", "Hilfe beim Ausfüllen online, aber keine Online-Antragstellung."),
            (3, "Online-Leistung", "Antragstellung einschließlich aller Nachweise online."),
            (4, "Online-Transaktion", "Vollständig digitale Abwicklung mit Once-Only."),
        ],
    },
    {
        "code": SCALE_OZG_2_0,
        "name": "OZG-Reifegradmodell 2.0",
        "description": "Reifegradmodell seit Juli 2025: Stufen 0 bis 7 mit 13 Kriterien.",
        "valid_from": datetime.date(2025, 7, 1),
        "valid_until": None,
        "levels": [
            (0, "Nur offline", "Die Leistung ist nur offline zugänglich."),
            (1, "Information online", "Informationen zur Leistung sind online verfügbar."),
            (2, "Formularunterstützung", "Formulare und Ausfüllhilfen online, Einreichung noch offline."),
            (3, "Online-Antragsdienst", "Online-Antragstellung über einen Onlinedienst (Front-End)."),
            (4, "Prozessorientierung", "Digitale Übermittlung an die zuständige Stelle und digitale Bearbeitung."),
            (5, "Datenorientierung", "Strukturierte Daten werden medienbruchfrei weiterverarbeitet."),
            (
                6,
                "Basiskomponenten angebunden",
                "DeutschlandID, Organisationskonto, NOOTS, Statusmonitor, E-Akte und Bezahldienst sind angebunden.",
            ),
            (
                7,
                "Ende-zu-Ende digital",
                "Die Leistung ist von der Antragstellung bis zum Bescheid durchgängig digital.",
            ),
        ],
    },
    {
        "code": SCALE_KOMMUNAL_0_5,
        "name": "Kommunale Reifegradskala 0–5",
        "description": (
            "Eigene Skala einer Kommune (z. B. Stadt Aachen): 0 sehr geringer, 5 hoher und volldigitaler Grad."
        ),
        "valid_from": None,
        "valid_until": None,
        "levels": [
            (0, "Nur Front-End digital", "Nur die Antragstellung ist digital; für die Beschäftigten oft Mehraufwand."),
            (1, "Digitaler Eingang", "Der Antrag geht digital ein und wird manuell übertragen."),
            (2, "Teilweise integriert", "Einzelne Schritte sind an die Fachanwendung angebunden."),
            (
                3,
                "Schnittstelle zur Fachanwendung",
                "Antragsdaten fließen über eine Schnittstelle in die Fachanwendung.",
            ),
            (4, "Weitgehend digital", "Bearbeitung mit E-Akte und E-Payment, wenige Medienbrüche."),
            (5, "Volldigitaler Prozess", "Hoher, vollständig digitalisierter Prozess ohne Medienbruch."),
        ],
    },
    {
        "code": SCALE_BERLIN,
        "name": "Reifegradskala des Berliner Dashboards",
        "description": "Skala des Digitalisierungs-Dashboards des Landes Berlin.",
        "valid_from": None,
        "valid_until": None,
        "levels": [
            (0, "Nicht digital", "Die Leistung ist nicht digital verfügbar."),
            (1, "Information online", "Informationen zur Leistung sind online verfügbar."),
            (2, "Formulare herunterladbar", "Formulare können heruntergeladen werden."),
            (3, "Formulare online einreichbar", "Formulare können online eingereicht werden."),
            (4, "Volldigital mit Authentifizierung", "Vollständig digital mit Authentifizierung."),
            (5, "Vollautomatisiert", "Die Leistung wird vollautomatisiert erbracht."),
        ],
    },
]


def seed(themenfeld_model, scale_model, level_model) -> None:
    """Create or update the reference rows; idempotent, so it serves the migration and the demo alike."""
    for name in THEMENFELDER:
        themenfeld_model.objects.get_or_create(name=name)
    for spec in MATURITY_SCALES:
        scale, _ = scale_model.objects.update_or_create(
            code=spec["code"],
            defaults={k: spec[k] for k in ("name", "description", "valid_from", "valid_until")},
        )
        for value, label, description in spec["levels"]:
            level_model.objects.update_or_create(
                scale=scale, value=value, defaults={"label": label, "description": description}
            )
