from .accounts import blp as accounts_blp
from .entries import blp as entries_blp
from .exports import blp as exports_blp

BLUEPRINTS = [entries_blp, accounts_blp, exports_blp]
