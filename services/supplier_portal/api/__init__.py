from .suppliers import blp as suppliers_blp

BLUEPRINTS = [suppliers_blp]
