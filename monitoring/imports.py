"""Catalogue and online-service imports from an uploaded file: kept between preview and confirmation, run dry or real.

The uploaded files wait in IMPORT_UPLOAD_DIR under a random name between preview and confirmation; the preview runs
the import and rolls it back, so it writes nothing and its counts are exactly what confirming will do.
"""

import datetime
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from leika.importing import FileSource
from leika.models import CatalogueVersion
from leika.tabular import ImportFailed
from ozg.importing import import_leika_with_ozg, import_ozg

from .access import it_office_organisations, may_maintain_catalogues
from .dashboard import warm_later
from .jobs import Finished, JobRefused
from .models import Organisation, german_count
from .online_services import apply_online_services, plan_online_services

LEIKA, OZG, ONLINE = "leika", "ozg", "online"
KINDS = [
    (LEIKA, "LeiKa-Katalog (neue Katalogversion mit Abgleich)"),
    (OZG, "OZG-Leistungen"),
    (ONLINE, "Onlinedienste eines Landesportals (Vorschläge für die offene Runde)"),
]
ALLOWED_SUFFIXES = {".csv", ".txt", ".xlsx"}


@dataclass
class Outcome:
    title: str
    lines: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    proposals: list = field(default_factory=list)
    unknown: list = field(default_factory=list)
    ozg_rows: list = field(default_factory=list)
    target_url: str = ""


def _upload_dir() -> Path:
    directory = Path(settings.IMPORT_UPLOAD_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def store_upload(upload) -> str:
    """Save under a random name; the user's file name is kept only for display."""
    path = _upload_dir() / f"{secrets.token_hex(16)}{Path(upload.name).suffix.lower()}"
    with path.open("wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    return str(path)


def discard_job(job: dict) -> None:
    for key in ("path", "mapping_path"):
        if job.get(key):
            Path(job[key]).unlink(missing_ok=True)


def import_title(job: dict) -> str:
    label = dict(KINDS)[job["kind"]].split(" (")[0]
    return f"Import: {label} aus „{job['filename']}“"


def import_job(background_job, progress) -> Finished:
    """The background job of confirming an import (monitoring.jobs): the upload kept since the preview, imported for
    real with the roles its owner has now. Its steps are reading and writing the file, then the statistics."""
    progress(0, 1)
    try:
        outcome = run_import(background_job.params, background_job.owner, dry_run=False)
    except ImportFailed as failure:
        raise JobRefused(
            "Die Datei kann nicht importiert werden; es wurde nichts geschrieben.", [str(e) for e in failure.errors]
        ) from None
    progress(1, 1)
    # Catalogues and online services feed every organisation's dashboard (crosswalk, OZG quotas): prepared again.
    warm_later(Organisation.objects.all())
    return Finished(
        f"Übernommen: {outcome.title}.",
        lines=[*outcome.notes, *(f"{label}: {german_count(count)}" for label, count in outcome.lines)],
        result_url=outcome.target_url or reverse("overview"),
        result_label="Zum Ergebnis des Imports" if outcome.target_url else "Zur Übersicht",
    )


def discard_import_job(background_job) -> None:
    """The uploaded files, once the job is done or refused; an interrupted job keeps them to start again."""
    discard_job(background_job.params)


def allowed_kinds(user) -> list[str]:
    """Shared catalogues for the catalogue role only; an IT office imports its own organisation's online services."""
    kinds = [LEIKA, OZG] if may_maintain_catalogues(user) else []
    if it_office_organisations(user).exists():
        kinds.append(ONLINE)
    return kinds


def run_import(job: dict, user, *, dry_run: bool) -> Outcome:
    # Checked again at confirmation: roles may have changed since the preview.
    if job["kind"] not in allowed_kinds(user):
        raise PermissionDenied("Diese Art von Import ist der Katalogpflege vorbehalten.")
    source = FileSource(job["path"], job["filename"])
    if job["kind"] == LEIKA:
        mapping = FileSource(job["mapping_path"], job["mapping_filename"]) if job.get("mapping_path") else None
        result = import_leika_with_ozg(
            source,
            version_name=job["version_name"],
            valid_from=_date(job.get("valid_from")),
            mapping=mapping,
            source_note=f"Upload {job['filename']}",
            dry_run=dry_run,
        )
        outcome = Outcome(f"LeiKa-Katalog „{result.version_name}“ ({result.entries} Einträge)")
        outcome.lines = result.summary()
        if result.same_as is not None:
            outcome.notes.append(
                f"Die Datei entspricht der Katalogversion „{result.same_as}“; es wird nichts geschrieben."
            )
            outcome.target_url = reverse("crosswalk", args=[result.same_as.pk])
        else:
            if result.predecessor is not None:
                outcome.notes.append(f"Abgleich gegen die Vorgängerversion „{result.predecessor}“.")
            else:
                outcome.notes.append("Es gibt keine Vorgängerversion; alle Einträge sind neu.")
            if result.extra.get("ozg_links"):
                outcome.notes.append(f"{result.extra['ozg_links']} Zuordnungen zu OZG-Leistungen.")
            if not dry_run:
                version = CatalogueVersion.objects.get(name=result.version_name)
                outcome.target_url = reverse("crosswalk", args=[version.pk])
        return outcome
    if job["kind"] == OZG:
        result = import_ozg(source, dry_run=dry_run, withdraw_missing=job.get("withdraw_missing", False))
        outcome = Outcome("OZG-Leistungen")
        outcome.lines = result.summary()
        outcome.ozg_rows = result.rows
        replaced = sum(change.name_replaced for change in result.rows)
        if replaced:
            outcome.notes.append(
                f"Bei {replaced} OZG-ID(s) ändert sich die Bezeichnung vollständig: bitte prüfen, ob die ID wirklich "
                "dieselbe Leistung meint; Planungen und Zahlen aller Organisationen hängen an ihr."
            )
        outcome.target_url = reverse("catalogues")
        return outcome
    organisation = it_office_organisations(user).filter(pk=job["organisation"]).first()
    if organisation is None:
        raise PermissionDenied
    plan = plan_online_services(source, organisation)
    outcome = Outcome(f"Onlinedienste für die Runde {plan.round}")
    outcome.lines = plan.summary()
    outcome.proposals = plan.proposals
    outcome.unknown = plan.unknown
    if not dry_run:
        applied = apply_online_services(plan, user, job["filename"])
        outcome.notes.append(f"{applied} Bewertungen auf Digital (Landesportal) gesetzt; sie warten auf Bestätigung.")
        outcome.target_url = reverse("overview")
    return outcome


def _date(text):
    return datetime.date.fromisoformat(text) if text else None
