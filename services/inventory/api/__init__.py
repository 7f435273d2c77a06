from .locations import blp as locations_blp

BLUEPRINTS = [locations_blp]
