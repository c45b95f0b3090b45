"""Helpers of the tests that drive the workspace's views: log in, read the listed rows, fingerprint what a write
touches, and fill in the detail and row forms as the browser would."""

import csv
import io
import os
import re
import shutil
import subprocess
import uuid

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from monitoring.models import Assessment, AssessmentChange, Question

HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, user):
    client.force_login(user)
    return client


def keys_listed(response) -> list[str]:
    return [row["key"] for row in response.context["table"].page_rows]


def listed_cells(response, pk) -> dict[str, str]:
    """The cells of the listed row `pk` as the page shows them (their inner HTML), by column name."""
    row = re.search(rf'<tr id="zeile-{pk}"[^>]*>(.*?)</tr>', response.content.decode(), re.S).group(1)
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
    return dict(zip([column.name for column in response.context["table"].columns], cells, strict=True))


def state():
    """Everything a write would touch, to show that refused requests write nothing."""
    rows = Assessment.objects.order_by("pk").values_list(
        "pk", "version", "status", "maturity_level", "justification", "confirmed_at"
    )
    return list(rows), AssessmentChange.objects.count(), list(Question.objects.values_list("pk", "answer"))


def row_form_data(row, **values):
    prefix = f"zeile-{row.pk}-"
    data = {"status": row.status, "maturity_level": row.maturity_level_id or "", "justification": row.justification}
    data.update(values)
    data.setdefault("version", row.version)
    return {prefix + name: "" if value is None else value for name, value in data.items()}


def detail_form_data(row, **values):
    data = {
        "status": row.status,
        "maturity_level": row.maturity_level_id or "",
        "efa_kind": row.efa_kind,
        "efa_offer": row.efa_offer_id or "",
        "channel": row.channel,
        "online_service_url": row.online_service_url,
        "it_project": row.it_project_id or "",
        "justification": row.justification,
        "version": row.version,
        "comment": "",
    }
    data.update(values)
    return {name: "" if value is None else value for name, value in data.items()}


def selection(*rows):
    """The bulk form's checkbox values of `rows`: id and the version the list showed."""
    return [f"{row.pk}:{row.version}" for row in rows]


def records(response) -> list:
    """The records of the page's django-tables2 table, in its order."""
    return [row.record for row in response.context["table"].page]


# --- Excel sheets (a department's, an organisation's OZG plans) ----------------------------------------------------


def xlsx_download(client, url: str, filename: str) -> openpyxl.Workbook:
    """The workbook a sheet's download answers with, after checking it is an .xlsx attachment named `filename`."""
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert f'filename="{filename}"' in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def xlsx_upload(client, url: str, workbook, name: str):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return client.post(url, {"file": SimpleUploadedFile(name, buffer.getvalue())})


def sheet_line(sheet, column: int, value) -> int:
    """The row number of the sheet's row whose `column` holds `value`."""
    return next(row for row in range(2, sheet.max_row + 1) if sheet.cell(row, column).value == value)


# --- background jobs -----------------------------------------------------------------------------------------------


def running_jobs():
    """Inside it, a queued background job runs when its request's transaction would commit. A test runs in a
    transaction that never commits, so jobs (queued on commit) would never start; the test settings' immediate task
    backend then runs each one at once, as a worker would right after the request."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def job_page(client, response) -> str:
    """The job page a request was sent to, as text."""
    assert response.status_code == 302 and "/auftraege/" in response["Location"], response
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


# LibreOffice Calc (Debian: libreoffice-calc-nogui; `make test` installs it) for reading workbooks as Calc does.
SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


def libreoffice_csv(path, tmp_path) -> list[list[str]]:
    """The first sheet of a workbook as LibreOffice Calc reads it, written as UTF-8 CSV."""
    profile = tmp_path / f"lo-profile-{uuid.uuid4().hex}"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false",
            "--outdir",
            str(tmp_path / "out"),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    text = (tmp_path / "out" / (path.stem + ".csv")).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))
