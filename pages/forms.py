"""The form on the accessibility statement with which anyone reports a barrier (BGG NRW § 10b: feedback mechanism)."""

from django import forms

CONTROL_CHARACTERS = {chr(n) for n in range(32)} - {"\n", "\r", "\t"}


class BarrierReportForm(forms.Form):
    page = forms.CharField(
        label="Adresse der Seite",
        max_length=500,
        help_text="Zum Beispiel https://…/kataloge/ oder der Name der Seite.",
        error_messages={"required": "Bitte geben Sie an, auf welcher Seite Sie die Barriere gefunden haben."},
    )
    description = forms.CharField(
        label="Beschreibung der Barriere",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Was wollten Sie tun, und was hat nicht funktioniert? Nennen Sie gern Ihr Hilfsmittel.",
        error_messages={"required": "Bitte beschreiben Sie die Barriere."},
    )
    email = forms.EmailField(
        label="Ihre E-Mail-Adresse",
        max_length=254,
        required=False,
        help_text="Nur wenn Sie eine Antwort wünschen.",
        error_messages={"invalid": "Bitte geben Sie eine gültige E-Mail-Adresse an, z. B. name@beispiel.de."},
    )

    def clean_page(self):
        page = self.cleaned_data["page"]
        # The address goes into a mail; line breaks or control characters have no place in it.
        if any(char in CONTROL_CHARACTERS or char in "\r\n" for char in page):
            raise forms.ValidationError("Die Adresse darf keine Zeilenumbrüche oder Steuerzeichen enthalten.")
        return page
