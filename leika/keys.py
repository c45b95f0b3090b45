"""Parsing of the 14-digit LeiKa key (Leistungsschlüssel).

Everything derived from a key is computed here, never stored.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

KEY_PATTERN = re.compile(r"^[0-9]{14}\Z")  # ASCII digits only; \Z: no trailing newline

LO = "LO"
LOV = "LOV"
LOVD = "LOVD"
KIND_LABELS = {
    LO: "Leistungsobjekt",
    LOV: "Leistungsobjekt mit Verrichtung",
    LOVD: "Leistungsobjekt mit Verrichtung und Detail",
}


def validate_key(value: str) -> None:
    """Reject anything but exactly 14 digits; the prefix stays unchecked: regional catalogues use others than 99."""
    if not isinstance(value, str) or not KEY_PATTERN.match(value):
        raise ValidationError(
            "Der Leistungsschlüssel muss aus genau 14 Ziffern bestehen (erhalten: „%(value)s“).",
            code="invalid_leika_key",
            params={"value": value},
        )


@dataclass(frozen=True)
class LeikaKey:
    value: str

    def __post_init__(self):
        validate_key(self.value)

    @property
    def prefix(self) -> str:
        return self.value[0:2]

    @property
    def group(self) -> str:
        """Leistungsgruppierung (digits 3–5)."""
        return self.value[2:5]

    @property
    def object_id(self) -> str:
        """Leistungskennung (digits 6–8): the object within the group."""
        return self.value[5:8]

    @property
    def leistungsobjekt(self) -> str:
        """Digits 1–8: the Leistungsobjekt all entries of one family share."""
        return self.value[0:8]

    @property
    def verrichtung(self) -> str:
        return self.value[8:11]

    @property
    def detail(self) -> str:
        return self.value[11:14]

    @property
    def kind(self) -> str:
        if self.value.endswith("000000"):
            return LO
        if self.value.endswith("000"):
            return LOV
        return LOVD

    @property
    def parent(self) -> "LeikaKey | None":
        """The key with its last non-zero three-digit group set to 000 (LOVD → LOV → LO); None for an LO."""
        if self.detail != "000":
            return LeikaKey(self.value[:11] + "000")
        if self.verrichtung != "000":
            return LeikaKey(self.value[:8] + "000000")
        return None

    def ancestors(self) -> list["LeikaKey"]:
        result, node = [], self.parent
        while node is not None:
            result.append(node)
            node = node.parent
        return result

    def __str__(self) -> str:
        return self.value


def parse_typisierung(text: str) -> list[str]:
    """Split a Typisierung cell such as "1, 2/3b" or "4;5" into its codes, keeping their order and dropping repeats."""
    codes: list[str] = []
    for part in re.split(r"[,;]", text or ""):
        code = part.strip().replace(" ", "")
        if code and code not in codes:
            codes.append(code)
    return codes
