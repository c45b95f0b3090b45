"""Who may do what: every view, every persona, GET and POST, with the expected status code.

The rule throughout: not logged in → the login page; a record the user cannot see → 404; a record the user sees but
may not change (or a closed round) → 403. A refused POST writes nothing: every case compares a fingerprint of the
writable tables before and after.
"""

import pytest
from django.urls import reverse

from leika.models import LeikaEntry
from monitoring.choices import Status
from monitoring.models import (
    Assessment,
    AssessmentChange,
    Question,
    SurveyRound,
    TablePreference,
)
from tests import factories

pytestmark = pytest.mark.django_db

PERSONAS = ("anonym", "bearbeitung", "lesen", "andere_einheit", "andere_it", "it", "superuser")
LOGIN = "login"
REFUSED_FORM = "form"  # 200: the form is shown again with a German error, nothing written
REFUSED_SAID = "said"  # refused with a German message on the page (200) or after a redirect (302), nothing written


@pytest.fixture
def world():
    org = factories.kreis()
    other_org = factories.organisation("Stadt Anders")
    dept_a = factories.department(org, "A 32", "Ordnungsamt")
    dept_b = factories.department(org, "A 50", "Sozialamt")
    factories.department(other_org, "FB 32", "Ordnung")
    v2023 = factories.catalogue_version("2023", 2023)
    v2024 = factories.catalogue_version("2024", 2024, predecessor=v2023)
    v2025 = factories.catalogue_version("2025", 2025, predecessor=v2024)
    scale = factories.scale("ozg-1-1")
    closed_round = factories.survey_round(org, 2023, version=v2023, maturity_scale=scale)

    def assessment(round_obj, version, key, department):
        entry = LeikaEntry.objects.create(version=version, key=key, name=f"Leistung {key}")
        return factories.assessment(round_obj, entry, department, status=Status.PDF)

    closed_a = assessment(closed_round, v2023, "99001001000000", dept_a)
    factories.close(closed_round)
    open_round = factories.survey_round(org, 2024, version=v2024, maturity_scale=scale)
    a = assessment(open_round, v2024, "99001001000000", dept_a)
    b = assessment(open_round, v2024, "99002001000000", dept_b)

    personas = {
        "anonym": None,
        "bearbeitung": factories.editor(dept_a, "bearbeitung"),
        "lesen": factories.reader(dept_a, "lesen"),
        "andere_einheit": factories.editor(dept_b, "andere_einheit"),
        "andere_it": factories.it_office(other_org, "andere_it"),
        "it": factories.it_office(org, "it"),
        "superuser": factories.superuser(),
    }
    question = Question.objects.create(assessment=a, text="Gibt es ein Formular?", asked_by=personas["it"])
    return {
        "org": org,
        "dept_a": dept_a,
        "v2024": v2024,
        "v2025": v2025,
        "open_round": open_round,
        "closed_round": closed_round,
        "a": a,
        "b": b,
        "closed_a": closed_a,
        "question": question,
        "personas": personas,
    }


def fingerprint() -> tuple:
    """Everything a view of the workspace or of the rounds could write."""
    return (
        list(Assessment.objects.order_by("pk").values_list("pk", "status", "version", "confirmed_at")),
        AssessmentChange.objects.count(),
        list(Question.objects.order_by("pk").values_list("pk", "text", "answer")),
        list(SurveyRound.objects.order_by("pk").values_list("pk", "is_closed", "deadline")),
        TablePreference.objects.count(),
    )


def expect(*codes):
    return dict(zip(PERSONAS, codes, strict=True))


# url(world) and payload(world) for each case; expected codes per persona in PERSONAS order.
GET_CASES = {
    "Übersicht": (lambda w: reverse("overview"), expect(LOGIN, 200, 200, 200, 200, 200, 200)),
    "Kataloge": (lambda w: reverse("catalogues"), expect(LOGIN, 200, 200, 200, 200, 200, 200)),
    "Katalogabgleich": (
        lambda w: reverse("crosswalk", args=[w["v2024"].pk]),
        expect(LOGIN, 200, 200, 200, 200, 200, 200),
    ),
    "Übernahmebericht": (
        lambda w: reverse("carry_over", args=[w["open_round"].pk]),
        expect(LOGIN, 200, 200, 200, 404, 200, 200),
    ),
    "Import": (lambda w: reverse("import_start"), expect(LOGIN, 403, 403, 403, 200, 200, 200)),
    "Meine Leistungen": (lambda w: reverse("my_services"), expect(LOGIN, 200, 200, 200, 200, 200, 200)),
    "Detail": (
        lambda w: reverse("assessment_detail", args=[w["a"].pk]),
        expect(LOGIN, 200, 200, 404, 404, 200, 200),
    ),
    "Detail abgeschlossen": (
        lambda w: reverse("assessment_detail", args=[w["closed_a"].pk]),
        expect(LOGIN, 200, 200, 404, 404, 200, 200),
    ),
    "Zeile bearbeiten": (
        lambda w: reverse("assessment_row_edit", args=[w["a"].pk]),
        expect(LOGIN, 200, 403, 404, 404, 200, 200),
    ),
    "Zeile bearbeiten abgeschlossen": (
        lambda w: reverse("assessment_row_edit", args=[w["closed_a"].pk]),
        expect(LOGIN, 403, 403, 404, 404, 403, 403),
    ),
    "Rückfragen": (lambda w: reverse("questions"), expect(LOGIN, 200, 200, 200, 200, 200, 200)),
    "Runden": (lambda w: reverse("rounds"), expect(LOGIN, 200, 200, 200, 200, 200, 200)),
    "Fortschritt": (
        lambda w: reverse("round_progress", args=[w["open_round"].pk]),
        expect(LOGIN, 200, 200, 200, 404, 200, 200),
    ),
    "Runde abschließen (Rückfrage)": (
        lambda w: reverse("round_close", args=[w["open_round"].pk]),
        expect(LOGIN, 403, 403, 403, 404, 200, 200),
    ),
    "Runde öffnen (Rückfrage)": (
        lambda w: reverse("round_reopen", args=[w["closed_round"].pk]),
        expect(LOGIN, 403, 403, 403, 404, 200, 200),
    ),
    "Aktivität": (
        lambda w: reverse("department_activity", args=[w["dept_a"].pk]),
        expect(LOGIN, 403, 403, 404, 404, 200, 200),
    ),
}


def detail_payload(w, assessment):
    return {"status": Status.DIGITAL, "version": assessment.version, "comment": "Matrix"}


POST_CASES = {
    "Detail speichern": (
        lambda w: reverse("assessment_detail", args=[w["a"].pk]),
        lambda w: detail_payload(w, w["a"]),
        expect(LOGIN, 302, 403, 404, 404, 302, 302),
    ),
    "Detail speichern abgeschlossen": (
        lambda w: reverse("assessment_detail", args=[w["closed_a"].pk]),
        lambda w: detail_payload(w, w["closed_a"]),
        expect(LOGIN, REFUSED_SAID, 403, 404, 404, REFUSED_SAID, REFUSED_SAID),
    ),
    "Zeile speichern": (
        lambda w: reverse("assessment_row", args=[w["a"].pk]),
        lambda w: {
            f"zeile-{w['a'].pk}-status": Status.DIGITAL,
            f"zeile-{w['a'].pk}-version": w["a"].version,
        },
        expect(LOGIN, 200, 403, 404, 404, 200, 200),
    ),
    "Zeile speichern abgeschlossen": (
        lambda w: reverse("assessment_row", args=[w["closed_a"].pk]),
        lambda w: {
            f"zeile-{w['closed_a'].pk}-status": Status.DIGITAL,
            f"zeile-{w['closed_a'].pk}-version": w["closed_a"].version,
        },
        expect(LOGIN, REFUSED_SAID, 403, 404, 404, REFUSED_SAID, REFUSED_SAID),
    ),
    "Bestätigen": (
        lambda w: reverse("assessment_confirm", args=[w["a"].pk]),
        lambda w: {"version": w["a"].version},
        expect(LOGIN, 302, 403, 404, 404, 302, 302),
    ),
    "Bestätigen abgeschlossen": (
        lambda w: reverse("assessment_confirm", args=[w["closed_a"].pk]),
        lambda w: {"version": w["closed_a"].version},
        expect(LOGIN, REFUSED_SAID, 403, 404, 404, REFUSED_SAID, REFUSED_SAID),
    ),
    "Sammelbearbeitung fremder Zeile": (
        lambda w: reverse("bulk_edit"),
        lambda w: {
            "auswahl": [f"{w['b'].pk}:{w['b'].version}"],
            "sammel-scope": "auswahl",
            "sammel-status": Status.DIGITAL,
            "sammel-maturity_level": "",
            "sammel-action": "setzen",
        },
        expect(LOGIN, 404, 404, 302, 404, 302, 302),
    ),
    "Sammelbearbeitung abgeschlossen": (
        lambda w: reverse("bulk_edit"),
        lambda w: {
            "auswahl": [f"{w['closed_a'].pk}:{w['closed_a'].version}"],
            "sammel-scope": "auswahl",
            "sammel-status": Status.DIGITAL,
            "sammel-maturity_level": "",
            "sammel-action": "setzen",
        },
        expect(LOGIN, REFUSED_SAID, 403, 404, 404, REFUSED_SAID, REFUSED_SAID),
    ),
    "Rückfrage stellen": (
        lambda w: reverse("question_ask", args=[w["a"].pk]),
        lambda w: {"text": "Noch eine Frage"},
        expect(LOGIN, 403, 403, 404, 404, 302, 302),
    ),
    "Rückfrage beantworten": (
        lambda w: reverse("question_answer", args=[w["question"].pk]),
        lambda w: {f"antwort-{w['question'].pk}-answer": "Ja, seit März."},
        expect(LOGIN, 302, 403, 404, 404, 302, 302),
    ),
    "Runde abschließen": (
        lambda w: reverse("round_close", args=[w["open_round"].pk]),
        lambda w: {},
        expect(LOGIN, 403, 403, 403, 404, 302, 302),
    ),
    "Runde wieder öffnen": (
        lambda w: reverse("round_reopen", args=[w["closed_round"].pk]),
        lambda w: {},
        # Allowed to the own IT office, but refused while 2024 is open, with the round's name.
        expect(LOGIN, 403, 403, 403, 404, REFUSED_SAID, REFUSED_SAID),
    ),
    "Frist ändern": (
        lambda w: reverse("round_deadline", args=[w["open_round"].pk]),
        lambda w: {"deadline": "2024-12-31"},
        expect(LOGIN, 403, 403, 403, 404, 302, 302),
    ),
    "Runde eröffnen": (
        lambda w: reverse("rounds"),
        lambda w: {
            "organisation": w["org"].pk,
            "year": 2025,
            "catalogue_version": w["v2025"].pk,
            "maturity_scale": "",
            "deadline": "",
        },
        # The IT office of another organisation cannot choose this one: the form refuses it and nothing is opened.
        # The own IT office may open rounds, but 2024 is still open: the form names it (one open round at most).
        expect(LOGIN, 403, 403, 403, REFUSED_FORM, REFUSED_FORM, REFUSED_FORM),
    ),
    "Spalten merken": (
        lambda w: reverse("my_services_columns"),
        lambda w: {"spalten-columns": ["status"], "next": reverse("my_services")},
        expect(LOGIN, 302, 302, 302, 302, 302, 302),
    ),
}


def headers_for(case: str) -> dict:
    """The row endpoints answer htmx with a table row; they are asked as htmx asks them."""
    return {"HTTP_HX_REQUEST": "true"} if case.startswith("Zeile") else {}


def client_for(client, world, persona):
    user = world["personas"][persona]
    if user is not None:
        client.force_login(user)
    return client


def check(response, expected):
    if expected == REFUSED_FORM:
        assert response.status_code == 200
    elif expected == REFUSED_SAID:
        assert response.status_code in (200, 302)
    elif expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected, response.content.decode()[:500]
        if expected == 302:
            assert not response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", GET_CASES)
def test_get(client, world, case, persona):
    url, codes = GET_CASES[case]
    before = fingerprint()
    check(client_for(client, world, persona).get(url(world), **headers_for(case)), codes[persona])
    assert fingerprint() == before, "a GET wrote something"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", POST_CASES)
def test_post(client, world, case, persona):
    url, payload, codes = POST_CASES[case]
    before = fingerprint()
    response = client_for(client, world, persona).post(url(world), payload(world), **headers_for(case))
    check(response, codes[persona])
    if codes[persona] not in (200, 302):
        assert fingerprint() == before, "a refused POST wrote something"
    else:
        assert fingerprint() != before, "an allowed POST wrote nothing"
