"""The household registry as staff see it. Every staff view and change is logged (DOMAIN.md, Privacy)."""
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from shop.audit.services import client_ip
from shop.extensions import db
from shop.households.models import Household, HouseholdAccessLog
from shop.places.models import Village


def log_household_access(user_id: int, action: str, household_ids: list[int], field: str | None = None) -> None:
    """Append who saw or changed which households (and which field, for a reveal), from where."""
    db.session.add(HouseholdAccessLog(user_id=user_id, action=action, field=field, ip=client_ip(),
                                      household_ids=",".join(str(i) for i in household_ids)[:2000]))
    db.session.flush()


def list_poor_proposals(viewer_id: int) -> list[Household]:
    """List households whose cooperative proposed registered-poor status, and log that staff saw them."""
    households = list(db.session.scalars(
        select(Household).where(Household.poor_status == "proposed").order_by(Household.id)
        .options(joinedload(Household.coop), joinedload(Household.village).joinedload(Village.county))))
    log_household_access(viewer_id, "view_poor_proposals", [h.id for h in households])
    return households


def decide_poor_status(household_id: int, confirm: bool, staff_id: int) -> bool:
    """Confirm or decline a proposed registered-poor status, once; return whether it changed."""
    values = {"poor_status": "confirmed"} if confirm else {"poor_status": "none", "poor_since_year": None}
    changed = db.session.execute(
        update(Household).where(Household.id == household_id, Household.poor_status == "proposed").values(**values)
        .execution_options(synchronize_session=False)).rowcount == 1
    if changed:
        log_household_access(staff_id, "confirm_poor" if confirm else "decline_poor", [household_id])
    return changed
