"""The office's company import page (companies.io.jobs does the work): upload, progress, preview, import."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from companies.models import ImportJob

from . import jobs
from .forms import ImportUploadForm


def import_allowed(view):
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        allowed, reason = jobs.can_import(request.user)
        if not allowed:
            raise PermissionDenied(reason)
        return view(request, *args, **kwargs)

    return wrapped


@import_allowed
def upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.start(request.user, form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("companies:import_job", pk=job.pk)
    recent = ImportJob.objects.select_related("created_by")[:20]
    return render(request, "companies/import.html", {"form": form, "recent": recent})


@import_allowed
def job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    if request.headers.get("HX-Request"):
        response = render(request, "companies/includes/import_progress.html", {"job": job})
        if not job.busy:
            response["HX-Refresh"] = "true"  # the whole page changes once the step is over
        return response
    return render(request, "companies/import_job.html", {"job": job})


@import_allowed
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    decision = request.POST.get("decision")
    try:
        if decision == "discard":
            jobs.discard(request.user, job)
            messages.success(request, _("已放弃导入“%(name)s”，没有写入任何数据。") % {"name": job.file_name})
            return redirect("companies:import")
        jobs.confirm(request.user, job, only_valid=decision == "valid")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("companies:import_job", pk=job.pk)


@import_allowed
def rejected(request: HttpRequest, pk: int) -> FileResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    if not job.rejected_file or not default_storage.exists(job.rejected_file):
        raise Http404(_("这个文件没有错误行。"))
    stem = job.file_name.rpartition(".")[0] or job.file_name
    ext = job.rejected_file.rpartition(".")[2]
    return FileResponse(
        default_storage.open(job.rejected_file, "rb"), as_attachment=True, filename=f"{stem}-错误行.{ext}"
    )
