"""Choice sets of the OZG app."""

from django.db import models

THEMENFELDER = (
    "Arbeit & Ruhestand",
    "Bauen & Wohnen",
    "Bildung",
    "Ein- & Auswanderung",
    "Engagement & Hobby",
    "Familie & Kind",
    "Forschung & Förderung",
    "Gesundheit",
    "Mobilität & Reisen",
    "Querschnitt",
    "Recht & Ordnung",
    "Steuern & Zoll",
    "Umwelt",
    "Unternehmensführung & -entwicklung",
)


class LageKind(models.TextChoices):
    LEBENSLAGE = "lebenslage", "Lebenslage"
    UNTERNEHMENSLAGE = "unternehmenslage", "Unternehmenslage"


class Zustaendigkeit(models.TextChoices):
    BUND = "bund", "Bund"
    LAND = "land", "Land"
    KOMMUNE = "kommune", "Kommune"


class Land(models.TextChoices):
    BW = "BW", "Baden-Württemberg"
    BY = "BY", "Bayern"
    BE = "BE", "Berlin"
    BB = "BB", "Brandenburg"
    HB = "HB", "Bremen"
    HH = "HH", "Hamburg"
    HE = "HE", "Hessen"
    MV = "MV", "Mecklenburg-Vorpommern"
    NI = "NI", "Niedersachsen"
    NW = "NW", "Nordrhein-Westfalen"
    RP = "RP", "Rheinland-Pfalz"
    SL = "SL", "Saarland"
    SN = "SN", "Sachsen"
    ST = "ST", "Sachsen-Anhalt"
    SH = "SH", "Schleswig-Holstein"
    TH = "TH", "Thüringen"
    BUND = "BUND", "Bund"


class EfaKind(models.TextChoices):
    NACHNUTZUNG_IN_KLAERUNG = "nachnutzung_in_klaerung", "Nachnutzung aus anderem Land (in Klärung)"
    NACHNUTZUNG_VEREINBART = "nachnutzung_vereinbart", "Nachnutzung aus anderem Land (vereinbart)"
    EIGENES_LAND = "eigenes_land", "Entwicklung durch das eigene Land"
    KOMMUNALER_IT_VERBUND = "kommunaler_it_verbund", "Entwicklung durch den kommunalen IT-Verbund"
    IN_KLAERUNG = "in_klaerung", "in Klärung"
    KEIN_EFA = "kein_efa", "kein EfA"
