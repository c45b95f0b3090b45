"""The simulated users of benchmarks/loadtest.py (a locustfile): browse, filter, edit and export.

Run by loadtest.py, which passes the accounts, their logged-in sessions and rows in a JSON plan (LOADTEST_PLAN) and
reads back every edit the server acknowledged (LOADTEST_EDITS, one JSON object per line) to look for it in the
database afterwards.
"""

import itertools
import json
import os
import random
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from locust import HttpUser, between, task

PLAN = json.loads(Path(os.environ["LOADTEST_PLAN"]).read_text(encoding="utf-8"))
SESSIONS = itertools.cycle(PLAN["sessions"])
EDIT_LOG = Path(os.environ["LOADTEST_EDITS"])
SERIAL = itertools.count(1)
# Statuses an edit may set without further values (Kein Optimierungspotenzial is set with the justification it needs).
STATUSES = ("analog", "pdf", "projekt", "nicht_gemeldet", "kein_potenzial")
SEARCH_TERMS = ("Antrag", "Genehmigung", "Jagd", "Kfz", "Umwelt", "98101", "neu gefasst")
# What the pages say: the row form's and the detail page's conflict warnings, the saved row's status line.
ROW_CONFLICT = "jemand anderes hat diese Leistung inzwischen geändert"
DETAIL_CONFLICT = 'id="konflikt"'
JOB_DONE, JOB_FAILED = 'id="job-download"', 'id="job-error"'
JOB_POLLS = 60
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The saved row comes back with its feedback in the row itself (role="status"), not at the top of the page.
ROW_SAVED = (
    'row-feedback" role="status"><span class="kern-icon kern-icon--success" aria-hidden="true"></span>Gespeichert:'
)


class FormParser(HTMLParser):
    """The fields of the first <form> with this `action`, with the values a browser would send."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.done = False
        self.fields: dict[str, str] = {}
        self.select: str | None = None
        self.first_option: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.done and attrs.get("action") == self.action:
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button"):
                self.fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self.select, self.first_option = name, None
        elif tag == "option" and self.select:
            value = attrs.get("value") or ""
            if self.first_option is None:
                self.first_option = value
            if "selected" in attrs:
                self.fields[self.select] = value
        elif tag == "textarea" and name:
            self.textarea = name
            self.fields[name] = ""

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "select" and self.select:
            self.fields.setdefault(self.select, self.first_option or "")
            self.select = None
        elif tag == "textarea":
            # A browser drops the one newline that follows <textarea>.
            if self.textarea and self.fields[self.textarea].startswith("\n"):
                self.fields[self.textarea] = self.fields[self.textarea][1:]
            self.textarea = None
        elif tag == "form":
            self.inside, self.done = False, True


def form_fields(html: str, action: str) -> dict[str, str]:
    parser = FormParser(action)
    parser.feed(html)
    return parser.fields


class Sachbearbeitung(HttpUser):
    """One person at work: an editor of one department or a member of the IT office, with a session of their own."""

    wait_time = between(0.5, 2.0)

    def on_start(self):
        # Logged in before the run by loadtest.py, through the login form (one session per simulated user): 50 logins
        # at once would spend the first seconds of the run on password hashing alone.
        session = next(SESSIONS)
        self.account = PLAN["accounts"][session["account"]]
        self.rows = self.account["rows"]
        self.hot_rows = self.account["hot_rows"]
        for name, value in session["cookies"].items():
            self.client.cookies.set(name, value)

    def fetch(self, path: str, name: str, **kwargs):
        """A GET that counts as failed unless it answers 200 to this session (not the login page it redirects to)."""
        with self.client.get(path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif "/anmelden/" in response.url:
                response.failure("sent to the login page")
            return response

    # --- browse -----------------------------------------------------------------------------------------------------

    @task(4)
    def browse_list(self):
        page = random.choice(("", "?seite=2", "?seite=3"))
        self.fetch(f"/leistungen/{page}", name="browse: list")

    @task(4)
    def browse_detail(self):
        self.fetch(f"/bewertungen/{random.choice(self.rows)}/", name="browse: detail page")

    @task(1)
    def browse_dashboard(self):
        self.fetch(f"/auswertung/{PLAN['organisation']}/", name="browse: dashboard")

    # --- filter -----------------------------------------------------------------------------------------------------

    @task(4)
    def filter_list(self):
        params = [("status", random.choice(STATUSES))]
        if random.random() < 0.5:
            params.append(("q", random.choice(SEARCH_TERMS)))
        if random.random() < 0.5:
            params.append(("einheit", str(random.choice(self.account["departments"]))))
        if random.random() < 0.3:
            params.append(("bestaetigt", random.choice(("ja", "nein"))))
        self.fetch("/leistungen/", params=params, name="filter: list")

    # --- edit -------------------------------------------------------------------------------------------------------

    def edit_values(self, fields: dict[str, str], prefix: str) -> tuple[str, str]:
        """A status other than the current one, and a justification that names this edit, so it can be found again."""
        current = fields.get(f"{prefix}status", "")
        status = random.choice([s for s in STATUSES if s != current])
        justification = f"Lasttest {self.account['username']} #{next(SERIAL)}"
        fields[f"{prefix}status"] = status
        fields[f"{prefix}justification"] = justification
        return status, justification

    def pick_row(self) -> int:
        # A few rows per account are edited often, so that two people now and then save the same row.
        return random.choice(self.hot_rows) if random.random() < 0.5 else random.choice(self.rows)

    def record(self, pk: int, version: str, status: str, justification: str, via: str, outcome: str) -> None:
        """One line per edit: "sent" before the request goes out, "saved" once the server acknowledged it."""
        with EDIT_LOG.open("a", encoding="utf-8") as log:
            log.write(
                json.dumps(
                    {
                        "pk": pk,
                        "version": int(version),
                        "username": self.account["username"],
                        "status": status,
                        "justification": justification,
                        "via": via,
                        "outcome": outcome,
                    }
                )
                + "\n"
            )

    @task(3)
    def edit_row(self):
        """The in-place edit of the list (htmx): load the row's form, change it after a moment, save it."""
        pk = self.pick_row()
        htmx = {"HX-Request": "true", "HX-Current-URL": f"{self.host}/leistungen/"}
        form = self.fetch(f"/bewertungen/{pk}/zeile/bearbeiten/", headers=htmx, name="edit: load row form")
        if form.status_code != 200:
            return
        fields = form_fields(form.text, f"/bewertungen/{pk}/zeile/")
        prefix = f"zeile-{pk}-"
        version = fields.get(f"{prefix}version")
        if not version:
            return
        status, justification = self.edit_values(fields, prefix)
        self.wait_typing()
        self.record(pk, version, status, justification, "row", "sent")
        with self.client.post(
            f"/bewertungen/{pk}/zeile/", data=fields, headers=htmx, catch_response=True, name="edit: save row"
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif ROW_CONFLICT in response.text:
                # Someone else saved the row in between: refused with a message, nothing lost. Counted apart.
                response.request_meta["name"] = "edit: save row (conflict)"
                response.success()
            elif ROW_SAVED in response.text and "row-form" not in response.text:
                self.record(pk, version, status, justification, "row", "saved")
                response.success()
            else:
                response.failure("neither saved nor a conflict (form errors?)")

    @task(1)
    def edit_detail(self):
        """All fields on the row's detail page, saved with the version the page showed."""
        pk = self.pick_row()
        page = self.fetch(f"/bewertungen/{pk}/", name="edit: load detail form")
        if page.status_code != 200:
            return
        fields = form_fields(page.text, f"/bewertungen/{pk}/")
        version = fields.get("version")
        if not version:
            return
        status, justification = self.edit_values(fields, "")
        fields["comment"] = "Lasttest"
        self.wait_typing()
        self.record(pk, version, status, justification, "detail", "sent")
        with self.client.post(
            f"/bewertungen/{pk}/",
            data=fields,
            catch_response=True,
            allow_redirects=False,
            name="edit: save detail page",
        ) as response:
            # The saved page's own address; a redirect to the login page ends with ?next=/bewertungen/<pk>/ too.
            if response.status_code == 302 and urlsplit(response.headers.get("Location", "")).path.endswith(
                f"/bewertungen/{pk}/"
            ):
                self.record(pk, version, status, justification, "detail", "saved")
                response.success()
            elif response.status_code == 200 and DETAIL_CONFLICT in response.text:
                response.request_meta["name"] = "edit: save detail page (conflict)"
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}, neither saved nor a conflict")

    def wait_typing(self):
        gevent.sleep(random.uniform(0.3, 1.5))

    # --- export -----------------------------------------------------------------------------------------------------

    @task(1)
    def export_csv(self):
        status = random.choice(STATUSES)
        self.fetch("/leistungen/export.csv", params={"status": status}, name="export: csv")

    @task(1)
    def export_xlsx(self):
        params = {"status": random.choice(STATUSES), "einheit": str(random.choice(self.account["departments"]))}
        self.fetch("/leistungen/export.xlsx", params=params, name="export: xlsx")

    @task(1)
    def export_in_background(self):
        """The IT office exports the whole open round: queued as a job (more than 5,000 rows), its page asked until
        the worker is done, then the file fetched; on two servers each step may land on either. Once per simulated
        user: one worker builds a file of 15,000 rows in seconds, not as often as people browse."""
        if len(self.account["departments"]) < 2 or getattr(self, "exported", False):
            return
        self.exported = True
        with self.client.get(
            "/leistungen/export.xlsx", name="export: large xlsx (queued)", allow_redirects=False, catch_response=True
        ) as response:
            job = urlsplit(response.headers.get("Location", "")).path
            if response.status_code == 200 and response.headers.get("Content-Type", "").startswith(XLSX):
                return  # a list of at most 5,000 rows (the small data set) comes at once
            if response.status_code != 302 or not job.startswith("/auftraege/"):
                response.failure(f"HTTP {response.status_code}, not sent to a job page")
                return
        for _ in range(JOB_POLLS):
            page = self.fetch(job, name="export: job page")
            if page.status_code != 200 or JOB_FAILED in page.text:
                if page.status_code == 200:
                    page.failure("the job failed")
                return
            if JOB_DONE in page.text:
                self.fetch(f"{job}datei/", name="export: large xlsx (file)")
                return
            gevent.sleep(2)
