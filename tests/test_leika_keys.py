"""Tests of the 14-digit LeiKa key: what is derived from it, which keys are refused, and its uniqueness per version.

Group, Leistungsobjekt, Verrichtung, detail and kind are computed from the key and never stored.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from leika.keys import KIND_LABELS, LO, LOV, LOVD, LeikaKey, validate_key
from leika.models import CatalogueVersion, LeikaEntry

KEY_MESSAGE = "Der Leistungsschlüssel muss aus genau 14 Ziffern bestehen (erhalten: „{}“)."
DERIVED = ("kind", "kind_label", "group", "leistungsobjekt", "verrichtung", "detail", "parsed_key")


@pytest.fixture
def version(db):
    return CatalogueVersion.objects.create(name="LeiKa 2024", valid_from=date(2024, 1, 1), source="FIM-Portal")


@pytest.fixture
def later_version(db):
    return CatalogueVersion.objects.create(name="LeiKa 2025", valid_from=date(2025, 1, 1), source="FIM-Portal")


def entry(version, key: str, **fields) -> LeikaEntry:
    return LeikaEntry(version=version, key=key, name=fields.pop("name", f"Leistung {key}"), **fields)


# --- a good key and what is derived from it -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "group", "leistungsobjekt", "verrichtung", "detail", "kind"),
    [
        ("99123456000000", "123", "99123456", "000", "000", LO),
        ("99123456261000", "123", "99123456", "261", "000", LOV),
        ("99123456261017", "123", "99123456", "261", "017", LOVD),
        ("99050012104000", "050", "99050012", "104", "000", LOV),
    ],
)
def test_a_good_key_yields_its_parts_and_kind(version, key, group, leistungsobjekt, verrichtung, detail, kind):
    leistung = entry(version, key)
    leistung.full_clean()

    assert leistung.group == group
    assert leistung.leistungsobjekt == leistungsobjekt
    assert leistung.verrichtung == verrichtung
    assert leistung.detail == detail
    assert leistung.kind == kind
    assert leistung.kind_label == KIND_LABELS[kind]
    assert leistung.parsed_key == LeikaKey(key)


def test_kind_labels_are_german():
    assert KIND_LABELS == {
        LO: "Leistungsobjekt",
        LOV: "Leistungsobjekt mit Verrichtung",
        LOVD: "Leistungsobjekt mit Verrichtung und Detail",
    }


def test_the_parts_of_a_key_put_together_give_the_key():
    key = LeikaKey("99123456261017")
    assert key.prefix == "99"
    assert key.object_id == "456"
    assert key.prefix + key.group + key.object_id + key.verrichtung + key.detail == key.value
    assert key.leistungsobjekt + key.verrichtung + key.detail == key.value


def test_derived_parts_are_not_stored_as_columns():
    columns = {field.name for field in LeikaEntry._meta.get_fields()}
    assert not columns & set(DERIVED)


def test_derived_parts_follow_the_key_without_saving(version):
    leistung = LeikaEntry.objects.create(version=version, key="99123456000000", name="Wohngeld")
    leistung.key = "99123456261017"

    assert (leistung.kind, leistung.verrichtung, leistung.detail) == (LOVD, "261", "017")
    assert LeikaEntry.objects.get(pk=leistung.pk).kind == LO


@pytest.mark.parametrize(
    ("key", "parent", "ancestors"),
    [
        ("99123456261017", "99123456261000", ["99123456261000", "99123456000000"]),
        ("99123456261000", "99123456000000", ["99123456000000"]),
        ("99123456000000", None, []),
    ],
)
def test_parent_and_ancestors_of_a_key(key, parent, ancestors):
    parsed = LeikaKey(key)
    assert (str(parsed.parent) if parsed.parent else None) == parent
    assert [str(ancestor) for ancestor in parsed.ancestors()] == ancestors


def test_family_selects_the_entries_of_one_leistungsobjekt(version):
    family = [
        LeikaEntry.objects.create(version=version, key=key, name=key)
        for key in ("99123456000000", "99123456261000", "99123456261017")
    ]
    LeikaEntry.objects.create(version=version, key="99123457000000", name="Nachbar")

    assert list(LeikaEntry.objects.family("99123456261017").order_by("key")) == family


# --- keys that are refused ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("9912345600000", id="13-digits"),
        pytest.param("991234560000", id="12-digits"),
        pytest.param("991234560000001", id="15-digits"),
        pytest.param("99a23456000000", id="letter"),
        pytest.param("99ABCDEF000000", id="letters"),
        pytest.param("99 23456000000", id="inner-space"),
        pytest.param("9912345600000 ", id="trailing-space"),
        pytest.param(" 9912345600000", id="leading-space"),
        pytest.param("99-123456-0000", id="hyphens"),
        pytest.param("99123456.00000", id="dot"),
    ],
)
def test_full_clean_rejects_a_malformed_key_at_the_key_field(version, key):
    with pytest.raises(ValidationError) as error:
        entry(version, key).full_clean()

    assert set(error.value.message_dict) == {"key"}
    assert KEY_MESSAGE.format(key) in error.value.message_dict["key"]


def test_full_clean_rejects_an_empty_key_in_german(version):
    with pytest.raises(ValidationError) as error:
        entry(version, "").full_clean()

    assert error.value.message_dict == {"key": ["Dieses Feld darf nicht leer sein."]}


@pytest.mark.parametrize("key", ["9912345600000", "99a23456000000", "99 23456000000", "991234560000001"])
def test_save_rejects_a_malformed_key_without_full_clean(version, key):
    with pytest.raises(ValidationError) as error:
        entry(version, key).save()

    assert error.value.messages == [KEY_MESSAGE.format(key)]
    assert error.value.code == "invalid_leika_key"
    assert not LeikaEntry.objects.exists()


@pytest.mark.parametrize("value", [None, 99123456000000, "99123456 000000"])
def test_validate_key_and_leika_key_reject_what_is_not_a_14_digit_string(value):
    with pytest.raises(ValidationError):
        validate_key(value)
    with pytest.raises(ValidationError):
        LeikaKey(value)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("٩٩١٢٣٤٥٦٠٠٠٠٠٠", id="arabic-indic-digits"),
        pytest.param("99123456000000\n", id="trailing-newline"),
    ],
)
def test_validate_key_accepts_ascii_digits_only(key):
    with pytest.raises(ValidationError):
        validate_key(key)


def test_full_clean_rejects_a_key_of_non_ascii_digits(version):
    with pytest.raises(ValidationError) as error:
        entry(version, "٩٩١٢٣٤٥٦٠٠٠٠٠٠").full_clean()
    assert set(error.value.message_dict) == {"key"}


# --- prefixes other than 99 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["10123456000000", "01123456261000", "00000000000000", "12345678901234"])
def test_a_key_with_another_prefix_than_99_is_accepted(version, key):
    leistung = entry(version, key)
    leistung.full_clean()
    leistung.save()

    assert LeikaEntry.objects.get(pk=leistung.pk).key == key
    assert leistung.parsed_key.prefix == key[:2]


# --- uniqueness ---------------------------------------------------------------------------------------------


def test_a_key_is_unique_within_a_version(version):
    LeikaEntry.objects.create(version=version, key="99123456000000", name="Wohngeld")

    with pytest.raises(ValidationError) as error:
        entry(version, "99123456000000", name="Wohngeld, noch einmal").full_clean()

    assert error.value.message_dict == {
        "__all__": [
            "LeiKa-Leistung mit diesem Wert für das Feld Katalogversion und Leistungsschlüssel existiert bereits."
        ]
    }


def test_the_database_refuses_a_second_entry_with_the_same_key_in_a_version(version):
    LeikaEntry.objects.create(version=version, key="99123456000000", name="Wohngeld")

    with pytest.raises(IntegrityError), transaction.atomic():
        LeikaEntry.objects.create(version=version, key="99123456000000", name="Wohngeld, noch einmal")

    assert LeikaEntry.objects.filter(version=version, key="99123456000000").count() == 1


def test_the_same_key_may_exist_in_two_versions(version, later_version):
    LeikaEntry.objects.create(version=version, key="99123456000000", name="Wohngeld")
    again = entry(later_version, "99123456000000", name="Wohngeld")

    again.full_clean()
    again.save()

    assert LeikaEntry.objects.filter(key="99123456000000").count() == 2
    assert set(LeikaEntry.objects.filter(key="99123456000000").values_list("version", flat=True)) == {
        version.pk,
        later_version.pk,
    }
