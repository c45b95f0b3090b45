"""`manage.py import_online_services FILE --organisation ID`: a portal's live services as proposals."""

from pathlib import Path

from django.core.management.base import CommandParser

from leika.commandline import ImportCommand
from leika.tabular import ImportFailed, RowError
from monitoring.access import find_organisation
from monitoring.online_services import PORTAL_BASE_URL, apply_online_services, plan_online_services


class Command(ImportCommand):
    help = (
        "Liest eine Liste von Onlinediensten eines Landesportals und schlägt für die offene Runde der Organisation "
        "den Status Digital (Landesportal) mit Link vor. Übernommen wird erst nach Bestätigung."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Liste der Onlinedienste (XLSX oder CSV; Spalten Nummer, Name, Live, Link)")
        parser.add_argument("--organisation", required=True, help="ID oder Regionalschlüssel der Organisation")
        parser.add_argument("--base-url", default=PORTAL_BASE_URL, help="Adresse des Portals für relative Links")
        parser.add_argument("--dry-run", action="store_true", help="nur die Vorschläge zeigen")
        parser.add_argument("--yes", action="store_true", help="Vorschläge ohne Rückfrage übernehmen")

    def handle(self, *args, **options) -> None:
        organisation = find_organisation(options["organisation"])
        if organisation is None:
            raise ImportFailed([RowError(None, "--organisation", f"Keine Organisation „{options['organisation']}“.")])
        plan = plan_online_services(self.file_source(options["file"]), organisation, options["base_url"])
        for proposal in plan.proposals:
            entry = proposal.assessment.leika_entry
            self.stdout.write(
                f"Zeile {proposal.row}: {entry.key} {entry.name}: {proposal.current} → Digital ({proposal.url})"
            )
        for number, key, name in plan.unknown:
            self.stdout.write(f"Zeile {number}: {key} {name}: Schlüssel unbekannt in {plan.round.catalogue_version}")
        for line in plan.summary_lines():
            self.stdout.write(line)
        if options["dry_run"] or not plan.proposals:
            self.stderr.write("Nichts geändert.")
            return
        if not options["yes"]:
            answer = input(f"{len(plan.proposals)} Vorschläge in die Runde {plan.round} übernehmen? [j/N] ")
            if answer.strip().casefold() not in {"j", "ja", "y", "yes"}:
                self.stderr.write("Nichts geändert.")
                return
        applied = apply_online_services(plan, source_name=Path(options["file"]).name)
        self.stdout.write(f"übernommen: {applied}")
