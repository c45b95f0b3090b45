"""Choice sets of the LeiKa catalogue."""

# Typisierung: who regulates and who executes a service. Codes 8 and 9 exist without a published label.
TYPISIERUNG_LABELS = {
    "1": "Regelung und Vollzug Bund",
    "2": "Regelung Bund, Vollzug Land oder Kommune",
    "2a": "Regelung Bund, Vollzug Land",
    "2b": "Regelung Bund, Vollzug Kommune",
    "3": "Regelung Bund mit Abweichungsrecht der Länder",
    "3a": "Regelung Bund mit Abweichungsrecht, Vollzug Land",
    "3b": "Regelung Bund mit Abweichungsrecht, Vollzug Kommune",
    "2/3": "Regelung Bund (teils mit Abweichungsrecht), Vollzug Land oder Kommune",
    "2/3a": "Regelung Bund (teils mit Abweichungsrecht), Vollzug Land",
    "2/3b": "Regelung Bund (teils mit Abweichungsrecht), Vollzug Kommune",
    "4": "Regelung Land",
    "4a": "Regelung Land, Vollzug Land",
    "4b": "Regelung Land, Vollzug Kommune",
    "5": "Regelung kommunal",
    "6": "Allgemeine Hinweise",
    "7": "Service- und Sonderrufnummern",
    "8": "Typ 8 (ohne veröffentlichte Bezeichnung)",
    "9": "Typ 9 (ohne veröffentlichte Bezeichnung)",
    "10": "Verwaltungsintern",
    "11": "SDG-Informationen",
    "12": "SDG-Informationen",
}

# Codes under which a municipality can be the executing level; the actual scope is a property of each organisation.
MUNICIPAL_TYPISIERUNG = ("2", "2b", "2/3", "2/3b", "3", "3b", "4", "4b", "5")
