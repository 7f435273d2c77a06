"""Export jobs: a year's finance export built by a worker, with its progress, then downloaded."""
import logging

from flask import current_app

from shared import tabular
from shared.auth import current_principal, require_roles
from shared.idempotency import idempotent
from shared.pagination import paginate
from shared.web import Blueprint, file_response, settings, unit_of_work

from ..export_jobs import create_job, get_job, job_file, list_jobs
from ..models import ExportJob
from ..schemas import ExportJobPageSchema, ExportJobQuerySchema, ExportJobRequestSchema, ExportJobSchema
from .common import SECURITY

log = logging.getLogger(__name__)
blp = Blueprint("costing_export_jobs", __name__, url_prefix="/api/costing/export-jobs",
                description="Exports of up to a year, written to a file by a worker: POST a job (202), GET it for "
                            "its state and progress, GET its file once done. Finance and admins only.")
JOB_READERS = ("finance", "admin")
RUN_TASK = "inventory.run_export_job"


def dispatch_job(job_id: int) -> None:
    """Hand the job to a worker, after the commit that made it visible (the API and the exports page).

    A broker that is down is no failure: the periodic sweep runs queued jobs whose task never came,
    as it does all of them where publishing after commit is switched off (PUBLISH_AFTER_COMMIT=0).
    """
    if not settings().publish_after_commit:
        return
    celery_app = current_app.extensions["celery"]
    try:
        with celery_app.producer_or_acquire() as producer:
            # one try, no back-off: a broker that does not answer at once is left to the sweep
            producer.connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
            celery_app.send_task(RUN_TASK, args=[job_id], queue="inventory", producer=producer, retry=False)
    except Exception:  # whatever the broker raises, the job waits for the sweep
        log.warning("export job %s not sent to the broker; the sweep will run it", job_id, exc_info=True)


@blp.post("")
@blp.doc(security=SECURITY)
@require_roles(*JOB_READERS)
@idempotent
@blp.arguments(ExportJobRequestSchema)
@blp.response(202, ExportJobSchema)
def post_job(data):
    with unit_of_work() as uow:
        job = create_job(uow.session, current_principal(), data["kind"], data["format"], data["start"], data["end"],
                         data["location_id"])
        uow.commit()
    dispatch_job(job.id)
    return job


@blp.get("")
@blp.doc(security=SECURITY)
@require_roles(*JOB_READERS)
@blp.arguments(ExportJobQuerySchema, location="query")
@blp.response(200, ExportJobPageSchema)
def get_jobs(args):
    query = list_jobs(current_principal())
    if args.get("state"):
        query = query.where(ExportJob.state == args["state"])
    with unit_of_work() as uow:
        return paginate(uow.session, query, args["page"], args["per_page"])


@blp.get("/<int:job_id>")
@blp.doc(security=SECURITY)
@require_roles(*JOB_READERS)
@blp.response(200, ExportJobSchema)
def get_one(job_id):
    with unit_of_work() as uow:
        return get_job(uow.session, current_principal(), job_id)


@blp.get("/<int:job_id>/file")
@blp.doc(security=SECURITY, responses={**file_response("the CSV or XLSX file", *tabular.MIMETYPES.values()),
                                       "409": {"description": "the job is not done"}})
@require_roles(*JOB_READERS)
def get_file(job_id):
    with unit_of_work() as uow:
        job = get_job(uow.session, current_principal(), job_id)
        path, filename = job_file(job, settings().var_dir)
    return tabular.send_file(path, job.format, filename)
