"""Catalogue and online-service imports in the browser: upload, preview (a dry run), confirm.

The uploaded files wait in IMPORT_UPLOAD_DIR under a random name between preview and confirmation; the preview runs
the import and rolls it back, so it writes nothing and its counts are exactly what confirming will do.
"""

import datetime
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from leika.importing import FileSource
from leika.models import CatalogueVersion
from leika.tabular import MAX_BYTES, ImportFailed
from ozg.importing import import_leika_with_ozg, import_ozg

from .access import it_office_organisations, may_import_catalogues
from .online_services import apply_online_services, plan_online_services

LEIKA, OZG, ONLINE = "leika", "ozg", "online"
KINDS = [
    (LEIKA, "LeiKa-Katalog (neue Katalogversion mit Abgleich)"),
    (OZG, "OZG-Leistungen"),
    (ONLINE, "Onlinedienste eines Landesportals (Vorschläge für die offene Runde)"),
]
ALLOWED_SUFFIXES = {".csv", ".txt", ".xlsx"}
SESSION_KEY = "imports"
SHOWN_ERRORS = 20


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="Art der Datei", choices=KINDS, widget=forms.RadioSelect)
    file = forms.FileField(label="Datei (CSV oder XLSX)")
    version_name = forms.CharField(label="Name der neuen Katalogversion", max_length=100, required=False)
    valid_from = forms.DateField(label="gültig ab", required=False, help_text="TT.MM.JJJJ; leer: heute")
    mapping = forms.FileField(
        label="Zuordnungsdatei für Zusammenlegungen (optional)", required=False, help_text="Spalten alt;neu"
    )
    organisation = forms.ModelChoiceField(label="Organisation", queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = it_office_organisations(user).order_by("name")

    def _check_upload(self, name):
        upload = self.cleaned_data.get(name)
        if upload is None:
            return None
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise forms.ValidationError("Bitte eine CSV- oder XLSX-Datei hochladen.")
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"Die Datei ist {upload.size / 1024 / 1024:.0f} MB groß; erlaubt sind {MAX_BYTES // 1024 // 1024} MB."
            )
        return upload

    def clean_file(self):
        return self._check_upload("file")

    def clean_mapping(self):
        return self._check_upload("mapping")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == LEIKA and not data.get("version_name", "").strip():
            self.add_error("version_name", "Bitte einen Namen für die neue Katalogversion angeben.")
        if kind == ONLINE and not data.get("organisation"):
            self.add_error("organisation", "Bitte die Organisation wählen, deren offene Runde ergänzt wird.")
        return data


@dataclass
class Outcome:
    title: str
    lines: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    proposals: list = field(default_factory=list)
    unknown: list = field(default_factory=list)
    target_url: str = ""


def _upload_dir() -> Path:
    directory = Path(settings.IMPORT_UPLOAD_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _store(upload) -> str:
    """Save under a random name; the user's file name is kept only for display."""
    path = _upload_dir() / f"{secrets.token_hex(16)}{Path(upload.name).suffix.lower()}"
    with path.open("wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    return str(path)


def _discard(job: dict) -> None:
    for key in ("path", "mapping_path"):
        if job.get(key):
            Path(job[key]).unlink(missing_ok=True)


def _run(job: dict, user, *, dry_run: bool) -> Outcome:
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
        result = import_ozg(source, dry_run=dry_run)
        outcome = Outcome("OZG-Leistungen")
        outcome.lines = result.summary()
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


def _errors_context(failure: ImportFailed) -> dict:
    return {"errors": failure.errors[:SHOWN_ERRORS], "more_errors": max(0, len(failure.errors) - SHOWN_ERRORS)}


@login_required
def import_start(request):
    if not may_import_catalogues(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = {
            "kind": data["kind"],
            "filename": data["file"].name,
            "path": _store(data["file"]),
            "version_name": data.get("version_name", "").strip(),
            "valid_from": data["valid_from"].isoformat() if data.get("valid_from") else "",
            "organisation": data["organisation"].pk if data.get("organisation") else None,
        }
        if data["kind"] == LEIKA and data.get("mapping"):
            job["mapping_path"] = _store(data["mapping"])
            job["mapping_filename"] = data["mapping"].name
        try:
            outcome = _run(job, request.user, dry_run=True)
        except ImportFailed as failure:
            _discard(job)
            return render(
                request, "monitoring/import_preview.html", {"job": job, "failed": True, **_errors_context(failure)}
            )
        token = secrets.token_urlsafe(16)
        request.session.setdefault(SESSION_KEY, {})[token] = job
        request.session.modified = True
        return render(request, "monitoring/import_preview.html", {"job": job, "outcome": outcome, "token": token})
    return render(request, "monitoring/import_form.html", {"form": form})


@login_required
@require_POST
def import_confirm(request, token):
    if not may_import_catalogues(request.user):
        raise PermissionDenied
    job = request.session.get(SESSION_KEY, {}).pop(token, None)
    request.session.modified = True
    if job is None or not Path(job["path"]).is_file():
        raise Http404("Diese Vorschau ist abgelaufen; bitte die Datei erneut hochladen.")
    try:
        outcome = _run(job, request.user, dry_run=False)
    except ImportFailed as failure:
        return render(
            request, "monitoring/import_preview.html", {"job": job, "failed": True, **_errors_context(failure)}
        )
    finally:
        _discard(job)
    messages.success(request, f"Übernommen: {outcome.title}. " + " ".join(outcome.notes))
    return redirect(outcome.target_url or "overview")
