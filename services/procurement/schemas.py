from marshmallow import Schema, fields, validate

from shared.events import SUPPLIER_CATEGORIES


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)


class InvitationSchema(Schema):
    id = fields.Integer(dump_only=True)
    company_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    contact_email = fields.Email(required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(SUPPLIER_CATEGORIES)), required=True,
                             validate=validate.Length(min=1))
    created_at = fields.AwareDateTime(dump_only=True)
