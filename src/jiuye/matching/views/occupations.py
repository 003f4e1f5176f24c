"""The "Occupation coding" page: staff type a job title and see the most likely codes.

The same coder as the API and the command (``jiuye.registry.occupation_coder``). Typing updates
the results through HTMX (the ``results`` partial); without JavaScript the form submits.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm
from jiuye.registry.occupation_coder import AUTO_CODE_THRESHOLD, MAX_K, code_title


class CodeForm(forms.Form):
    title = forms.CharField(
        label=_("Job title"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "电焊工（持证）", "autofocus": True}),
    )
    k = forms.IntegerField(
        label=_("Results"), min_value=1, max_value=MAX_K, initial=5, required=False
    )


@login_required
def occupation_coding(request):
    if not has_perm(request.user, Perm.VIEW):
        raise Http404
    form = CodeForm(request.GET or None, initial={"k": 5})
    matches = []
    title = ""
    if form.is_bound and form.is_valid():
        title = form.cleaned_data["title"].strip()
        if title:
            matches = code_title(title, form.cleaned_data["k"] or 5)
    context = {
        "form": form,
        "title": title,
        "matches": matches,
        "threshold": AUTO_CODE_THRESHOLD,
        "accepted": bool(matches) and matches[0].score >= AUTO_CODE_THRESHOLD,
    }
    template = "matching/occupations.html#results" if request.htmx else "matching/occupations.html"
    return render(request, template, context)


urlpatterns = [
    path("occupations/", occupation_coding, name="occupations"),
]
