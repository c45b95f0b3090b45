"""Background jobs in the browser: one page per job with its progress and result, the person's list, the file."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET, require_POST

from ..access import visible_jobs
from ..choices import JOB_STATE_BADGE_VARIANT, JobState
from ..http import is_htmx
from ..jobs import checked, restart, result_path, waiting_minutes

LISTED_JOBS = 50
# How often the page asks for the job's state while it runs (htmx); without script, a link reloads the page.
POLL_SECONDS = 2


def _job_or_404(user, pk):
    return checked(get_object_or_404(visible_jobs(user).select_related("owner"), pk=pk))


def _context(job) -> dict:
    return {
        "job": job,
        "badge": JOB_STATE_BADGE_VARIANT[job.state],
        "poll_seconds": POLL_SECONDS,
        "file_kept": job.state == JobState.DONE and result_path(job) is not None,
        "waiting_minutes": waiting_minutes(job),
    }


@login_required
@require_GET
def job_detail(request, pk):
    """The job's progress and result. htmx asks for the body every few seconds while the job runs, telling the state
    it shows (`stand`): the status line, a live region, is replaced only when the state changed, so that a screen
    reader announces changes of state and not every step."""
    job = _job_or_404(request.user, pk)
    context = _context(job)
    if is_htmx(request):
        context["state_changed"] = request.GET.get("stand") != job.state
        return render(request, "monitoring/jobs/_body.html", context)
    return render(request, "monitoring/jobs/detail.html", context)


@login_required
@require_POST
def job_restart(request, pk):
    job = _job_or_404(request.user, pk)
    if job.owner_id != request.user.pk:
        raise PermissionDenied("Einen Auftrag startet nur erneut, wer ihn erteilt hat.")
    if restart(job):
        messages.success(request, f"Der Auftrag „{job.title}“ wurde erneut gestartet.")
    else:
        messages.info(request, f"Der Auftrag „{job.title}“ ist nicht unterbrochen und wurde nicht erneut gestartet.")
    return redirect("job_detail", pk=job.pk)


@login_required
@require_GET
def job_list(request):
    """The person's own jobs, newest first."""
    own = visible_jobs(request.user).filter(owner=request.user).order_by("-created_at", "-pk")
    jobs = [checked(job) for job in own[:LISTED_JOBS]]
    rows = [{"job": job, "badge": JOB_STATE_BADGE_VARIANT[job.state]} for job in jobs]
    return render(request, "monitoring/jobs/list.html", {"rows": rows})


@login_required
@require_GET
def job_file(request, pk):
    """The file a job built, for the person who asked for it only (404 for everyone else, the IT office too); after
    EXPORT_KEEP_HOURS it is gone and the answer says so."""
    job = get_object_or_404(visible_jobs(request.user).filter(owner=request.user).exclude(result_name=""), pk=pk)
    path = result_path(job)
    if path is None:
        return render(
            request,
            "monitoring/jobs/file_gone.html",
            {"job": job, "expired_at": date_format(localtime(job.expires_at), "d.m.Y, H:i") if job.expires_at else ""},
            status=410,
        )
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.result_name)
