from django import forms
from django.utils.translation import gettext_lazy as _

from jiuye.regions.codes import InvalidRegionCode, normalize
from jiuye.regions.models import ServicePoint


class ServicePointForm(forms.ModelForm):
    class Meta:
        model = ServicePoint
        fields = [
            "kind",
            "name",
            "region_code",
            "address",
            "longitude",
            "latitude",
            "opening_hours",
            "contact_person",
            "contact_phone",
            "is_active",
        ]
        help_texts = {"region_code": _("12-digit division code of the township or village")}

    def clean_region_code(self):
        try:
            return normalize(self.cleaned_data["region_code"])
        except InvalidRegionCode as exc:
            raise forms.ValidationError(_("Enter a 2, 4, 6, 9 or 12-digit division code.")) from exc

    def clean_longitude(self):
        value = self.cleaned_data.get("longitude")
        if value is not None and not (73 <= value <= 136):
            raise forms.ValidationError(_("Longitude must lie within China (73–136° E)."))
        return value

    def clean_latitude(self):
        value = self.cleaned_data.get("latitude")
        if value is not None and not (3 <= value <= 54):
            raise forms.ValidationError(_("Latitude must lie within China (3–54° N)."))
        return value
