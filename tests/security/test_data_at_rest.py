"""Household registry codes and phones and bank account numbers are encrypted at rest, found through a
blind index, re-encrypted by a key rotation, and encrypted by the migration for rows already there."""
import pytest
from cryptography.exceptions import InvalidTag
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from shop.crypto import DataKeyError, blind_index, decrypt, derive, rotate_data_key
from shop.extensions import db
from shop.households.models import Household
from tests.conftest import fresh_app
from tests.factories import make_coop, make_household

CODE, PHONE, ACCOUNT = "GSLN20150042", "13912345678", "6222021234567890123"


def raw(sql: str, **params):
    """What the database itself holds, read past the application's types."""
    return db.session.execute(text(sql), params).one()


def _household_with_secrets() -> Household:
    coop = make_coop(bank_account_no=ACCOUNT)
    household = make_household(coop)
    household.registry_code, household.phone = CODE, PHONE
    db.session.commit()
    db.session.expire_all()
    return household


def test_the_database_holds_only_ciphertext_and_the_shop_reads_plain_values(ctx):
    household = _household_with_secrets()
    code, phone, index = raw("SELECT registry_code, phone, registry_code_index FROM households WHERE id = :i",
                             i=household.id)
    (account,) = raw("SELECT bank_account_no FROM cooperatives WHERE id = :i", i=household.coop_id)
    for stored, plain in ((code, CODE), (phone, PHONE), (account, ACCOUNT)):
        assert stored.startswith("enc1:") and plain not in stored
    assert index == blind_index(CODE) and CODE not in index
    assert (household.registry_code, household.phone, household.coop.bank_account_no) == (CODE, PHONE, ACCOUNT)
    # Two encryptions of one value differ, so equal values cannot be spotted in a dump.
    other = make_household(household.coop)
    other.phone = PHONE
    db.session.commit()
    (other_phone,) = raw("SELECT phone FROM households WHERE id = :i", i=other.id)
    assert other_phone != phone


def test_a_value_copied_into_another_column_does_not_decrypt(ctx):
    household = _household_with_secrets()
    (code,) = raw("SELECT registry_code FROM households WHERE id = :i", i=household.id)
    assert decrypt(code, "households.registry_code") == CODE
    with pytest.raises(InvalidTag):
        decrypt(code, "households.phone")


def test_lookups_go_through_the_blind_index_and_sql_comparison_is_refused(ctx):
    household = _household_with_secrets()
    found = db.session.scalar(select(Household.id).where(Household.with_registry_code(f" {CODE.lower()} ")))
    assert found == household.id
    with pytest.raises(TypeError, match="blind index"):
        Household.registry_code == CODE  # noqa: B015 - the comparison itself must raise
    with pytest.raises(TypeError):
        Household.phone.contains("139")


def test_rotation_reencrypts_every_value_and_index_and_old_keys_can_then_go(ctx):
    household = _household_with_secrets()
    old = current_app.config["DATA_KEY"]
    new = "n" * 40
    current_app.config.update(DATA_KEY=new, DATA_KEYS_OLD=(old,))
    try:
        db.session.expire_all()
        # Mid-rotation: old values still read, and still found by code.
        assert household.registry_code == CODE
        assert db.session.scalar(select(Household.id).where(Household.with_registry_code(CODE))) == household.id
        counts = rotate_data_key()
        db.session.commit()
        assert counts["households.registry_code"] == 1 and counts["households.phone"] == 1
        assert counts["cooperatives.bank_account_no"] == 1
        current_app.config["DATA_KEYS_OLD"] = ()
        db.session.expire_all()
        code, phone, index = raw("SELECT registry_code, phone, registry_code_index FROM households WHERE id = :i",
                                 i=household.id)
        assert code.split(":")[1] == phone.split(":")[1] == derive(new).key_id
        assert index == blind_index(CODE, derive(new))
        assert (household.registry_code, household.phone, household.coop.bank_account_no) == (CODE, PHONE, ACCOUNT)
        assert db.session.scalar(select(Household.id).where(Household.with_registry_code(CODE))) == household.id
        assert rotate_data_key()["households.phone"] == 0  # nothing left under an old key
    finally:
        current_app.config.update(DATA_KEY=old, DATA_KEYS_OLD=())


def test_a_value_under_an_unknown_key_says_which_setting_is_missing(ctx):
    household = _household_with_secrets()
    old = current_app.config["DATA_KEY"]
    current_app.config["DATA_KEY"] = "m" * 40
    try:
        db.session.expire_all()
        with pytest.raises(DataKeyError, match="DATA_KEYS_OLD"):
            household.registry_code  # noqa: B018
    finally:
        current_app.config["DATA_KEY"] = old
        db.session.rollback()


def test_the_migration_encrypts_rows_already_there_and_its_downgrade_decrypts_them(tmp_path):
    with fresh_app(tmp_path) as app, app.app_context():
        upgrade()
        household = _household_with_secrets()
        household_id, coop_id = household.id, household.coop_id
        db.session.remove()
        downgrade(revision="0011")
        assert raw("SELECT registry_code, phone FROM households WHERE id = :i", i=household_id) == (CODE, PHONE)
        assert raw("SELECT bank_account_no FROM cooperatives WHERE id = :i", i=coop_id) == (ACCOUNT,)
        db.session.remove()
        upgrade()
        code, phone = raw("SELECT registry_code, phone FROM households WHERE id = :i", i=household_id)
        assert code.startswith("enc1:") and phone.startswith("enc1:")
        again = db.session.get(Household, household_id)
        assert (again.registry_code, again.phone, again.coop.bank_account_no) == (CODE, PHONE, ACCOUNT)
        assert db.session.scalar(select(Household.id).where(Household.with_registry_code(CODE))) == household_id
