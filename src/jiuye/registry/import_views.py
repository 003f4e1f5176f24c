"""The import pages: upload → preview (nothing written) → confirm → result, with the bad rows
downloadable as an Excel file.

The uploaded file waits under ``MEDIA_ROOT/imports`` named by a random token; the token is
kept in the uploader's session, so nobody else can preview, run or download it. The pages call
the same ``preview_import`` / ``run_import`` as ``jiuye import``, with the user's EDIT scope.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm
from jiuye.core.excel import XLSX_CONTENT_TYPE
from jiuye.core.tabular import SUFFIXES, TableError
from jiuye.registry import imports as registry_imports
from jiuye.registry.imports import KINDS, SPECS, error_report_xlsx, preview_import, run_import

SESSION_KEY = "registry_imports"
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
KEEP_SECONDS = 24 * 3600  # uploads and reports older than this are removed
KEEP_PER_SESSION = 5
SHOWN_ERRORS = 50

KIND_LABELS = {
    "persons": gettext_lazy("People (real-name ledger)"),
    "households": gettext_lazy("Households"),
    "employers": gettext_lazy("Employers"),
    "registrations": gettext_lazy("Employment and unemployment registrations"),
    "insurance": gettext_lazy("Social insurance contributions"),
}


def kind_label(kind: str):
    """The label of a kind, the registry's own or one another app registered."""
    return KIND_LABELS.get(kind) or registry_imports.KIND_LABELS.get(kind, kind)


def _kind_choices():
    # Evaluated when the form is built, so kinds registered at app-ready time are offered.
    return [(k, kind_label(k)) for k in KINDS]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=_kind_choices)
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("Excel (.xlsx, .xls), OpenDocument (.ods) or CSV (UTF-8 or GBK)."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUFFIXES)}),
    )
    update_existing = forms.BooleanField(
        label=gettext_lazy("Update records already in the registry"),
        help_text=gettext_lazy(
            "Otherwise rows for people or employers already registered are reported as "
            "duplicates. Every change is recorded in the audit log."
        ),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in SUFFIXES:
            raise forms.ValidationError(_("Upload an Excel (.xlsx, .xls), .ods or .csv file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB; split it into several files.")
                % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


def _require_edit(request) -> None:
    if not has_perm(request.user, Perm.EDIT):
        raise Http404


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _report_path(token: str) -> Path:
    return _folder() / f"{token}-errors.xlsx"


def _remove_files(token: str, entry: dict) -> None:
    for path in (_folder() / entry.get("stored", ""), _report_path(token)):
        if path.name and path.is_file():
            path.unlink(missing_ok=True)


def _clean_old_files() -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in _folder().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:  # another request removed it first
            continue


def _entries(request) -> dict:
    return request.session.setdefault(SESSION_KEY, {})


def _entry(request, token: str) -> dict:
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if entry is None:
        raise Http404
    return entry


def _stored(entry: dict) -> Path:
    path = _folder() / entry["stored"]
    if not path.is_file():
        raise Http404
    return path


def _error_rows(outcome, limit: int = SHOWN_ERRORS) -> list[list]:
    out = []
    for error in outcome.iter_errors():
        if len(out) >= limit:
            break
        out.append([error.row, error.column, error.value, error.reason])
    return out


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    _require_edit(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        token = secrets.token_urlsafe(16)
        stored = f"{token}{Path(upload.name).suffix.lower()}"
        with open(_folder() / stored, "wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        _clean_old_files()
        entries = _entries(request)
        while len(entries) >= KEEP_PER_SESSION:
            old_token = next(iter(entries))
            _remove_files(old_token, entries.pop(old_token))
        entries[token] = {
            "kind": form.cleaned_data["kind"],
            "filename": Path(upload.name).name,
            "stored": stored,
            "update": form.cleaned_data["update_existing"],
            "done": False,
        }
        request.session.modified = True
        return redirect("registry:import_preview", token=token)
    specs = [
        {
            "label": kind_label(kind),
            "columns": [
                {"label": c.label, "required": c.required, "aliases": "、".join(c.aliases[1:])}
                for c in SPECS[kind].columns
            ],
        }
        for kind in KINDS
    ]
    return render(request, "registry/import_form.html", {"form": form, "specs": specs})


@login_required
def import_preview(request, token):
    _require_edit(request)
    entry = _entry(request, token)
    if entry["done"]:
        return redirect("registry:import_run", token=token)
    context = {"entry": entry, "token": token, "kind_label": kind_label(entry["kind"])}
    try:
        preview = preview_import(
            entry["kind"],
            _stored(entry),
            entry["filename"],
            actor=request.user,
            update_existing=entry["update"],
            max_errors=SHOWN_ERRORS,
        )
    except TableError as exc:
        context["file_error"] = str(exc)
    else:
        if preview.bad_rows:
            _report_path(token).write_bytes(error_report_xlsx(preview))
        context.update(preview=preview, errors=_error_rows(preview))
    return render(request, "registry/import_preview.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_run(request, token):
    _require_edit(request)
    entry = _entry(request, token)
    if request.method == "POST" and not entry["done"]:
        try:
            result = run_import(
                entry["kind"],
                _stored(entry),
                entry["filename"],
                actor=request.user,
                update_existing=entry["update"],
            )
        except TableError as exc:
            messages.error(request, str(exc))
            return redirect("registry:import_preview", token=token)
        report = _report_path(token)
        if result.bad_rows:
            report.write_bytes(error_report_xlsx(result))
        else:
            report.unlink(missing_ok=True)
        (_folder() / entry["stored"]).unlink(missing_ok=True)
        entry.update(
            done=True,
            result={
                "total_rows": result.total_rows,
                "valid_rows": result.valid_rows,
                "invalid_rows": result.invalid_rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "written": result.written,
                "message": result.message,
                "error_count": result.error_count,
                "errors": _error_rows(result),
                "has_report": bool(result.bad_rows),
            },
        )
        request.session.modified = True
        return redirect("registry:import_run", token=token)
    if not entry["done"]:
        return redirect("registry:import_preview", token=token)
    return render(
        request,
        "registry/import_result.html",
        {
            "entry": entry,
            "token": token,
            "result": entry["result"],
            "kind_label": kind_label(entry["kind"]),
        },
    )


@login_required
def import_errors(request, token):
    _require_edit(request)
    entry = _entry(request, token)
    path = _report_path(token)
    if not path.is_file():
        raise Http404
    name = f"{Path(entry['filename']).stem}-错误行.xlsx"
    response = HttpResponse(path.read_bytes(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
