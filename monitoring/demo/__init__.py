"""Demo data: a Kreis and a city that reproduce their committee reports from records."""
