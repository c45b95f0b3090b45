"""The filtered lists as .xlsx and .csv: exactly the rows their FilterSet gives the page, all of them, in its order.

Every list export has one shape, `ListExport`: the columns, the rows as plain values and the lines of the Methode
sheet. It is built from the very FilterSet the page uses (`monitoring.filtersets`), so paging and the page's table
do not change which rows are exported. Rows are read with `values_list` in chunks and written as they come, so
memory stays flat however many rows there are.
"""

import dataclasses
import datetime
import secrets
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponseBadRequest, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import resolve
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from leika.crosswalk import Change
from ozg.models import OzgLeistung

from .. import jobs
from ..access import readable_assessments, readable_questions, visible_organisation_or_404
from ..choices import JobKind
from ..editing import shown_value
from ..filtersets import AssessmentFilterSet, CrosswalkFilterSet, PlanFilterSet, QuestionFilterSet
from ..models import OzgPlan
from ..planning import plan_rows
from .workbooks import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_lines, list_workbook

CHUNK_SIZE = 2000


class FilterInvalid(Exception):
    """The querystring is not a valid filter: nothing is exported, and the answer says which field is wrong."""

    def __init__(self, filterset):
        problems = "; ".join(
            f"{filterset.form.fields[name].label if name in filterset.form.fields else name}: {' '.join(errors)}"
            for name, errors in filterset.form.errors.items()
        )
        super().__init__(f"Der Filter ist ungültig, es wurde nichts exportiert. {problems}".strip())

    def response(self) -> HttpResponseBadRequest:
        return HttpResponseBadRequest(str(self), content_type="text/plain; charset=utf-8")


def cutoff_text(cutoff) -> str:
    """The export time as the Methode sheet states it."""
    return date_format(timezone.localtime(cutoff), "d.m.Y, H:i") + " Uhr (Zeitpunkt des Exports)"


@dataclass
class ListExport:
    """A filtered list as a file: columns (heading, width), rows as plain values, and the Methode sheet's lines.

    `method(count)` is asked after the rows are written, so that it can name what the rows met on the way
    (catalogue versions, scales, rounds); the time of the export and the number of rows follow its lines.
    """

    title: str
    sheet_title: str
    columns: Sequence[tuple[str, int]]
    rows: Iterable[Sequence]
    method: Callable[[int], list[tuple[str, str]]]
    file_stem: str
    datetime_headings: Sequence[str] = ()
    cutoff: datetime.datetime = dataclasses.field(default_factory=timezone.now)
    # The number of rows (one COUNT): above EXPORT_JOB_ROWS the file is built in the background.
    count: Callable[[], int] | None = None

    def method_lines(self, count: int) -> list[tuple[str, str]]:
        return [*self.method(count), ("Stichtag", cutoff_text(self.cutoff)), ("Anzahl Zeilen", str(count))]

    @property
    def header(self) -> list[str]:
        return [heading for heading, _ in self.columns]

    def xlsx(self) -> FileResponse:
        return FileResponse(
            self.workbook(), as_attachment=True, filename=f"{self.file_stem}.xlsx", content_type=XLSX_CONTENT_TYPE
        )

    def csv(self) -> StreamingHttpResponse:
        response = StreamingHttpResponse(csv_lines(self.header, self.rows), content_type=CSV_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, f"{self.file_stem}.csv")
        return response

    def workbook(self):
        header = self.header
        return list_workbook(
            header,
            self.rows,
            sheet_title=self.sheet_title,
            title=self.title,
            widths=[width for _, width in self.columns],
            datetime_columns=tuple(header.index(heading) for heading in self.datetime_headings),
            method=self.method_lines,
        )

    def write(self, path: Path, kind: str) -> None:
        """The file into `path`, as the direct download would send it."""
        with path.open("wb") as target:
            if kind == "xlsx":
                with self.workbook() as workbook:
                    shutil.copyfileobj(workbook, target)
            else:
                for chunk in csv_lines(self.header, self.rows):
                    target.write(chunk)


def list_file(build: Callable[..., ListExport], request, kind: str, **arguments):
    """The list that `build(request, **arguments)` describes as .xlsx or .csv, or a 400 naming the invalid filter.

    A list of more than EXPORT_JOB_ROWS rows is built in the background into EXPORT_DIR, for the person who asked
    only, and the answer is the job's page; the file is kept for EXPORT_KEEP_HOURS.
    """
    try:
        export = build(request, **arguments)
    except FilterInvalid as invalid:
        return invalid.response()
    count = export.count() if export.count is not None else 0
    if count > settings.EXPORT_JOB_ROWS:
        jobs.delete_expired_files()
        referer = request.headers.get("Referer", "")
        list_url = referer if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}) else ""
        job = jobs.start(
            request.user,
            JobKind.EXPORT,
            f"Export: {export.title} ({kind.upper()})",
            {"path": request.path_info, "query": request.GET.urlencode(), "list_url": list_url},
            total=count,
            unit="Zeilen",
        )
        return redirect("job_detail", job.pk)
    return export.xlsx() if kind == "xlsx" else export.csv()


def file_views(build: Callable[..., ListExport]):
    """The .xlsx and the .csv view of a list that `build(request, **url_arguments)` describes."""

    def view_for(kind: str):
        @login_required
        @require_GET
        def view(request, **arguments):
            return list_file(build, request, kind, **arguments)

        # A background export finds its list again from the address it was asked for (export_job).
        view.list_export = (build, kind)
        return view

    return view_for("xlsx"), view_for("csv")


@dataclass
class ExportRequest:
    """What a list's `build` reads of a request, for a background export: the filter and the person."""

    GET: QueryDict
    user: object


def counted(rows: Iterable[Sequence], progress, total: int, every: int = CHUNK_SIZE):
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % every == 0:
            progress(done, max(total, done))
    progress(done, max(total, done))


def export_job(job, progress) -> jobs.Finished:
    """The background job of a large export (monitoring.jobs): the list built again from the address and filter it
    was asked with, with the rows its owner may read now, written into EXPORT_DIR under a random name."""
    params = job.params
    match = resolve(params["path"])
    build, kind = match.func.list_export
    try:
        export = build(ExportRequest(QueryDict(params["query"]), job.owner), **match.kwargs)
    except FilterInvalid as invalid:
        raise jobs.JobRefused(str(invalid)) from None
    total = export.count() if export.count is not None else 0
    progress(0, total)
    export = dataclasses.replace(export, rows=counted(export.rows, progress, total))
    name = f"{secrets.token_hex(16)}.{kind}"
    path = jobs.export_dir() / name
    try:
        export.write(path, kind)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return jobs.Finished(
        "Die Datei ist fertig.",
        result_url=params.get("list_url", ""),
        result_label="Zurück zur Liste",
        result_file=name,
        result_name=f"{export.file_stem}.{kind}",
    )


def valid(filterset):
    if not filterset.is_valid():
        raise FilterInvalid(filterset)
    return filterset


# --- "Meine Leistungen" ----------------------------------------------------------------------------------------------

MY_SERVICES_ORDER = ("round", "entry_key", "pk")
MY_SERVICES_COLUMNS = (
    ("Leistungsschlüssel", 17),
    ("Bezeichnung", 50),
    ("Organisationseinheit", 30),
    ("Erhebungsrunde", 10),
    ("Katalogversion", 16),
    ("Status", 24),
    ("Reifegradskala", 24),
    ("Reifegrad", 10),
    ("Reifegrad (Bezeichnung)", 24),
    ("EfA-Nachnutzung", 30),
    ("Kanal", 24),
    ("Adresse des Onlinedienstes", 40),
    ("IT-Projekt", 30),
    ("Begründung", 50),
    ("bestätigt am", 17),
    ("geändert am", 17),
)
MY_SERVICES_HEADER = [heading for heading, _ in MY_SERVICES_COLUMNS]
MY_SERVICES_FIELDS = (
    "leika_entry__key",
    "leika_entry__name",
    "department__code",
    "department__name",
    "round__year",
    "round__catalogue_version__name",
    "status",
    "round__maturity_scale__name",
    "maturity_level__value",
    "maturity_level__label",
    "efa_kind",
    "channel",
    "online_service_url",
    "it_project__title",
    "justification",
    "confirmed_at",
    "updated_at",
)


class AssessmentRows:
    """The rows of a filtered "Meine Leistungen" as plain values; notes the catalogue versions and scales it met."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.catalogues: set[str] = set()
        self.scales: set[str] = set()

    def __iter__(self):
        catalogues, scales = self.catalogues, self.scales
        rows = self.queryset.order_by(*MY_SERVICES_ORDER).values_list(*MY_SERVICES_FIELDS)
        for (
            key,
            name,
            code,
            department,
            year,
            catalogue,
            status,
            scale,
            level,
            level_label,
            efa_kind,
            channel,
            url,
            project,
            justification,
            confirmed_at,
            updated_at,
        ) in rows.iterator(chunk_size=CHUNK_SIZE):
            catalogues.add(catalogue)
            scales.add(scale)
            yield (
                key,
                name,
                f"{code} {department}",
                year,
                catalogue,
                shown_value("status", status),
                scale,
                level,
                level_label,
                shown_value("efa_kind", efa_kind),
                shown_value("channel", channel),
                url,
                project,
                justification,
                confirmed_at,
                updated_at,
            )


def filter_in_words(filterset) -> list[str]:
    """Each applied filter of a FilterSet as "label: value", as a reader of the file understands it: the labels of
    chosen choices, the label of the "none" choice, a record by its name."""
    parts = []
    data = filterset.form.cleaned_data
    for name, field in filterset.form.fields.items():
        value = data.get(name)
        if value in (None, "", [], ()):
            continue
        filter_ = filterset.filters[name]
        if value == getattr(filter_, "null_value", object()):
            shown = filter_.null_label
        elif isinstance(value, list | tuple):
            labels = dict(field.choices)
            shown = ", ".join(str(labels.get(item, item)) for item in value)
        else:
            shown = str(value)
        parts.append(f"{field.label}: {shown}")
    return parts


def assessment_filter_in_words(filterset) -> str:
    """The applied filter as a reader of the file understands it."""
    parts = filter_in_words(filterset)
    if not filterset.form.cleaned_data.get("runde"):
        parts.insert(0, "alle offenen Erhebungsrunden")
    return "Bewertungen der Organisationseinheiten, die Sie lesen dürfen; " + "; ".join(parts)


def my_services_export(request) -> ListExport:
    filterset = valid(AssessmentFilterSet(request.GET, queryset=readable_assessments(request.user), user=request.user))
    rows = AssessmentRows(filterset.qs)
    chosen = filterset.form.cleaned_data.get("runde")

    def method(count: int) -> list[tuple[str, str]]:
        return [
            ("Zähleinheit", "eine Zeile je Bewertung einer LeiKa-Leistung"),
            ("Umfang", assessment_filter_in_words(filterset)),
            ("Katalogversion", ", ".join(sorted(rows.catalogues)) or "–"),
            ("Reifegradskala", ", ".join(sorted(rows.scales)) or "–"),
        ]

    return ListExport(
        title="Meine Leistungen",
        sheet_title="Leistungen",
        columns=MY_SERVICES_COLUMNS,
        rows=rows,
        method=method,
        file_stem=f"leistungen-{chosen.year if chosen else 'offene-runden'}",
        datetime_headings=("bestätigt am", "geändert am"),
        count=filterset.qs.count,
    )


# --- the crosswalk of a catalogue version ----------------------------------------------------------------------------

# The old side lists what became of the predecessor's keys, the other side this version's entries.
OLD_SIDE_COLUMNS = (
    ("Schlüssel", 17),
    ("Bezeichnung", 60),
    ("Änderung", 16),
    ("Nachfolger-Schlüssel", 20),
    ("Nachfolger-Bezeichnung", 60),
)
OLD_SIDE_FIELDS = ("entry__key", "entry__name", "kind", "successor__key", "successor__name")
ENTRY_COLUMNS = (
    ("Schlüssel", 17),
    ("Bezeichnung", 60),
    ("Änderung zur Vorversion", 24),
    ("Herkunft-Schlüssel", 20),
    ("Herkunft-Bezeichnung", 60),
)
ENTRY_FIELDS = ("key", "name", "change", "predecessor__key", "predecessor__name")


def crosswalk_filter_in_words(filterset: CrosswalkFilterSet) -> str:
    if filterset.old_side:
        parts = [f"Schlüssel der Vorgängerversion in der Klasse „{Change(filterset.kind).label}“"]
    elif filterset.kind:
        parts = [f"Einträge der Version in der Klasse „{Change(filterset.kind).label}“"]
    else:
        parts = ["alle Einträge der Version"]
    if filterset.query:
        parts.append(f"Schlüssel beginnt mit oder Bezeichnung enthält „{filterset.query}“")
    return "; ".join(parts)


def crosswalk_export(request, version) -> ListExport:
    filterset = valid(CrosswalkFilterSet(request.GET, version=version))
    old_side = filterset.old_side

    def rows():
        values = filterset.qs.values_list(*(OLD_SIDE_FIELDS if old_side else ENTRY_FIELDS))
        for key, name, change, other_key, other_name in values.iterator(chunk_size=CHUNK_SIZE):
            yield key, name, Change(change).label if change else None, other_key, other_name

    def method(count: int) -> list[tuple[str, str]]:
        predecessor = version.predecessor
        if old_side:
            unit = "eine Zeile je Schlüssel der Vorgängerversion und was aus ihm wurde"
        else:
            unit = "eine Zeile je Eintrag (LeiKa-Leistung) der Katalogversion"
        return [
            ("Zähleinheit", unit),
            ("Umfang", crosswalk_filter_in_words(filterset)),
            ("Katalogversion", version.name),
            ("Vorgängerversion", predecessor.name if predecessor else "keine (kein Abgleich)"),
        ]

    stem = ["abgleich", slugify(version.name) or str(version.pk)] + ([filterset.kind] if filterset.kind else [])
    return ListExport(
        title=f"Abgleich der Katalogversion {version.name}",
        sheet_title="Abgleich",
        columns=OLD_SIDE_COLUMNS if old_side else ENTRY_COLUMNS,
        rows=rows(),
        method=method,
        file_stem="-".join(stem),
        count=filterset.qs.count,
    )


# --- the Rückfragen --------------------------------------------------------------------------------------------------

QUESTION_COLUMNS = (
    ("Organisation", 24),
    ("Erhebungsrunde", 10),
    ("Organisationseinheit", 30),
    ("Leistungsschlüssel", 17),
    ("Bezeichnung", 50),
    ("Rückfrage", 60),
    ("gestellt von", 24),
    ("gestellt am", 17),
    ("Antwort", 60),
    ("beantwortet von", 24),
    ("beantwortet am", 17),
)
QUESTION_HEADER = [heading for heading, _ in QUESTION_COLUMNS]
QUESTION_FIELDS = (
    "assessment__round__organisation__name",
    "assessment__round__year",
    "assessment__department__code",
    "assessment__department__name",
    "assessment__leika_entry__key",
    "assessment__leika_entry__name",
    "text",
    "asked_by__first_name",
    "asked_by__last_name",
    "asked_by__username",
    "asked_at",
    "answer",
    "answered_by__first_name",
    "answered_by__last_name",
    "answered_by__username",
    "answered_at",
)


def person(first_name, last_name, username) -> str | None:
    """A user as the pages name them: the full name, else the user name; None for a deleted user."""
    return f"{first_name or ''} {last_name or ''}".strip() or username


def questions_export(request) -> ListExport:
    filterset = valid(QuestionFilterSet(request.GET, queryset=readable_questions(request.user)))
    rounds: set[tuple[str, int]] = set()

    def rows():
        values = filterset.qs.values_list(*QUESTION_FIELDS)
        for (
            organisation,
            year,
            code,
            department,
            key,
            name,
            text,
            asker_first,
            asker_last,
            asker,
            asked_at,
            answer,
            answerer_first,
            answerer_last,
            answerer,
            answered_at,
        ) in values.iterator(chunk_size=CHUNK_SIZE):
            rounds.add((organisation, year))
            yield (
                organisation,
                year,
                f"{code} {department}",
                key,
                name,
                text,
                person(asker_first, asker_last, asker),
                asked_at,
                answer or None,
                person(answerer_first, answerer_last, answerer),
                answered_at,
            )

    def method(count: int) -> list[tuple[str, str]]:
        shown = "alle Rückfragen, offene und beantwortete" if filterset.include_answered else "nur offene Rückfragen"
        met = ", ".join(f"{organisation} {year}" for organisation, year in sorted(rounds))
        return [
            ("Zähleinheit", "eine Zeile je Rückfrage zu einer Bewertung"),
            ("Umfang", f"{shown}, zu Bewertungen der Organisationseinheiten, die Sie lesen dürfen"),
            ("Erhebungsrunden", met or "–"),
        ]

    return ListExport(
        title="Rückfragen",
        sheet_title="Rückfragen",
        columns=QUESTION_COLUMNS,
        rows=rows(),
        method=method,
        file_stem=f"rueckfragen-{'alle' if filterset.include_answered else 'offen'}",
        datetime_headings=("gestellt am", "beantwortet am"),
        count=filterset.qs.count,
    )


# --- the OZG plans of an organisation --------------------------------------------------------------------------------

# OZG-ID and Bearbeitungsstand identify a row and the state it was read in, for a later upload of the file.
PLAN_COLUMNS = (
    ("OZG-ID", 9),
    ("OZG-Leistung", 50),
    ("Themenfeld", 24),
    ("Lage", 30),
    ("Zuständigkeit laut Katalog", 14),
    ("kommunal", 10),
    ("kommunal abweichend", 22),
    ("Begründung der Abweichung", 40),
    ("zuständig", 16),
    ("verantwortliche Einheit", 30),
    ("Stand", 20),
    ("Zielquartal", 11),
    ("Reifegrad", 10),
    ("Reifegrad (Bezeichnung)", 24),
    ("Adresse des Onlinedienstes", 40),
    ("genutztes EfA-Angebot", 30),
    ("Anmerkung", 50),
    ("Bearbeitungsstand", 10),
    ("geändert am", 17),
)
PLAN_EXPORT_FIELDS = (
    "ozg_id",
    "name",
    "themenfeld__name",
    "lage__name",
    "zustaendigkeit",
    "is_municipal",
    "own_plan__municipal_override",
    "own_plan__municipal_reason",
    "own_plan__responsible_kind",
    "own_plan__responsible_department__code",
    "own_plan__responsible_department__name",
    "own_plan__state",
    "own_plan__target_quarter",
    "own_plan__maturity_level__value",
    "own_plan__maturity_level__label",
    "own_plan__online_service_url",
    "own_plan__efa_offer__name",
    "own_plan__note",
    "own_plan__version",
    "own_plan__updated_at",
)


def plan_filter_in_words(filterset: PlanFilterSet) -> str:
    return "; ".join(["alle OZG-Leistungen des Katalogs (ohne entfallene)", *filter_in_words(filterset)])


def plan_export(request, pk) -> ListExport:
    organisation = visible_organisation_or_404(request.user, pk)
    filterset = valid(PlanFilterSet(request.GET, queryset=plan_rows(organisation), organisation=organisation))

    def rows():
        for (
            ozg_id,
            name,
            themenfeld,
            lage,
            zustaendigkeit,
            municipal,
            override,
            reason,
            kind,
            code,
            department,
            state,
            quarter,
            level,
            level_label,
            url,
            efa_offer,
            note,
            version,
            updated_at,
        ) in filterset.qs.values_list(*PLAN_EXPORT_FIELDS).iterator(chunk_size=CHUNK_SIZE):
            yield (
                ozg_id,
                name,
                themenfeld,
                lage,
                shown_value("zustaendigkeit", zustaendigkeit, OzgLeistung),
                "ja" if municipal else "nein",
                shown_value("municipal_override", override, OzgPlan),
                reason,
                shown_value("responsible_kind", kind, OzgPlan),
                f"{code} {department}" if code else None,
                shown_value("state", state or "nicht_geplant", OzgPlan),
                quarter,
                level,
                level_label,
                url,
                efa_offer,
                note,
                version or 0,
                updated_at,
            )

    def method(count: int) -> list[tuple[str, str]]:
        return [
            ("Zähleinheit", "eine Zeile je OZG-Leistung (OZG-ID) mit der Planung der Organisation"),
            ("Organisation", organisation.name),
            ("Umfang", plan_filter_in_words(filterset)),
            ("Reifegradskala", str(organisation.maturity_scale or "keine eigene Skala")),
            ("ohne Planung", "OZG-Leistungen ohne eigene Planung stehen als „nicht geplant“ mit Bearbeitungsstand 0"),
        ]

    return ListExport(
        title=f"OZG-Planung – {organisation.name}",
        sheet_title="OZG-Planung",
        columns=PLAN_COLUMNS,
        rows=rows(),
        method=method,
        file_stem=f"ozg-planung-{slugify(organisation.name)}",
        datetime_headings=("geändert am",),
        count=filterset.qs.count,
    )
