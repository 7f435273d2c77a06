"""Each service's app with seeded records, and the Authorization header of each kind of caller."""
from __future__ import annotations

import pytest

from services.supplier_portal.accounts import create_supplier_user, principal_for
from services.supplier_portal.models import Supplier
from shared.db import utcnow
from tests.conftest import bearer


@pytest.fixture
def fuzz_target(procurement, inventory, portal, staff, databases):
    apps = {"procurement": procurement.application, "inventory": inventory.application,
            "supplier_portal": portal.application}

    def make(service, caller):
        if caller == "anonymous":
            headers = {}
        elif caller.startswith("supplier_"):
            with databases["supplier_portal"].unit_of_work() as uow:
                supplier = Supplier(name="供应商", contact_email="s@example.cn", categories=["vegetables"],
                                    status="approved", credit_code="91370100000000001X", address="济南",
                                    contact_name="王", contact_phone="0531-1", registered_at=utcnow())
                uow.session.add(supplier)
                uow.session.flush()
                user = create_supplier_user(uow.session, supplier.id, "o@example.cn", "老板", "pw-pw-pw-pw-pw",
                                            caller.removeprefix("supplier_"))
                uow.commit()
            headers = bearer(principal_for(user))
        else:
            headers = staff(caller)[1]
        return apps[service], headers

    return make
