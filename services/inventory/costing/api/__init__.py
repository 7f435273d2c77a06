from .accounts import blp as accounts_blp
from .entries import blp as entries_blp
from .export_jobs import blp as export_jobs_blp
from .exports import blp as exports_blp
from .public import blp as public_blp
from .supervision import blp as supervision_blp

BLUEPRINTS = [entries_blp, accounts_blp, exports_blp, export_jobs_blp, supervision_blp, public_blp]
