from .locations import blp as locations_blp
from .movements import blp as movements_blp
from .planning import blp as planning_blp
from .receiving import blp as receiving_blp
from .stock import blp as stock_blp
from .stocktakes import blp as stocktakes_blp
from .store import blp as store_blp

BLUEPRINTS = [locations_blp, movements_blp, receiving_blp, stocktakes_blp, stock_blp, planning_blp, store_blp]
