from .locations import blp as locations_blp
from .movements import blp as movements_blp
from .stock import blp as stock_blp
from .stocktakes import blp as stocktakes_blp

BLUEPRINTS = [locations_blp, movements_blp, stocktakes_blp, stock_blp]
