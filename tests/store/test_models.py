"""The models on real databases: aware datetimes round-trip, constraints hold."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from bot import protocols
from bot.store.errors import InvalidValue
from bot.store.models import Alert, Client, Clinic, Treatment, TreatmentStatus

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


def clinic(slug="glow", phone="+12125550100", tz="America/New_York") -> Clinic:
    return Clinic(slug=slug, name=f"{slug} studio", phone=phone, timezone=tz)


def client_of(owner: Clinic, phone="+12125550123", name="Ana Diaz") -> Client:
    return Client(clinic=owner, name=name, phone=phone)


def fresh(engine, model, id_):
    """The row as read back from the database, not from a session's identity map."""
    with Session(bind=engine, future=True) as other:
        return other.get(model, id_)


# Aware datetimes

INSTANTS = [
    datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=timezone.utc),
    datetime(2024, 5, 1, 14, 0, tzinfo=NEW_YORK),
    datetime(2024, 1, 15, 23, 59, 59, 999999, tzinfo=LONDON),
    datetime(2024, 11, 3, 1, 30, fold=0, tzinfo=NEW_YORK),  # first 01:30 (EDT) of the fold
    datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=NEW_YORK),  # second 01:30 (EST)
    datetime(2024, 3, 31, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
]


@pytest.mark.parametrize("moment", INSTANTS, ids=lambda m: f"{m.isoformat()}-fold{m.fold}")
def test_aware_datetimes_round_trip_exactly(engine, session, moment):
    owner = clinic()
    treatment = Treatment(client=client_of(owner), performed_at=moment)
    session.add_all([owner, treatment])
    session.commit()

    read = fresh(engine, Treatment, treatment.id).performed_at
    assert read.tzinfo == timezone.utc
    # Compared in UTC: PEP 495 makes a datetime in a fold unequal to any other zone's.
    assert read == moment.astimezone(timezone.utc)
    assert read.astimezone(NEW_YORK).fold == moment.astimezone(NEW_YORK).fold


def test_the_two_fold_instants_stay_an_hour_apart(engine, session):
    owner = clinic()
    person = client_of(owner)
    first = Treatment(client=person, performed_at=datetime(2024, 11, 3, 1, 30, fold=0, tzinfo=NEW_YORK))
    second = Treatment(client=person, performed_at=datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=NEW_YORK))
    session.add_all([owner, first, second])
    session.commit()
    a, b = (fresh(engine, Treatment, t.id).performed_at for t in (first, second))
    assert b - a == timedelta(hours=1)


def test_naive_datetimes_are_refused_on_write(session):
    owner = clinic()
    session.add(owner)
    session.flush()
    session.add(Alert(clinic=owner, kind="bot_error", message="x", handled_at=datetime(2024, 5, 1, 12, 0)))
    with pytest.raises(StatementError) as info:
        session.flush()
    assert isinstance(info.value.orig, ValueError)
    assert "naive" in str(info.value.orig)


def test_naive_treatment_time_is_refused_at_assignment():
    with pytest.raises(InvalidValue):
        Treatment(performed_at=datetime(2024, 5, 1, 12, 0))


def test_created_at_defaults_to_an_aware_utc_now(engine, session):
    owner = clinic()
    session.add(owner)
    session.commit()
    created = fresh(engine, Clinic, owner.id).created_at
    assert created.tzinfo == timezone.utc
    assert abs(datetime.now(timezone.utc) - created) < timedelta(minutes=1)


# Constraints


def test_clinic_slug_is_unique(session):
    session.add(clinic("glow"))
    session.commit()
    session.add(clinic("glow", phone="+12125550101"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_a_phone_is_unique_per_clinic_not_across_clinics(session):
    glow, bright = clinic("glow"), clinic("bright")
    session.add_all([client_of(glow), client_of(bright)])
    session.commit()
    session.add(client_of(glow, name="Someone Else"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_booking_ids_are_unique_per_clinic_when_present(session):
    glow, bright = clinic("glow"), clinic("bright")
    ana, bea = client_of(glow), client_of(bright)
    at = NOW - timedelta(days=1)
    session.add_all(
        [
            Treatment(client=ana, performed_at=at, external_ref="B-1"),
            Treatment(client=bea, performed_at=at, external_ref="B-1"),  # another clinic: fine
            Treatment(client=ana, performed_at=at),  # no booking id, twice: fine
            Treatment(client=ana, performed_at=at + timedelta(hours=1)),
        ]
    )
    session.commit()
    session.add(Treatment(client=ana, performed_at=at, external_ref="B-1"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_foreign_keys_are_enforced(session):
    session.execute(insert(Clinic.__table__).values(**_clinic_row(id=1)))
    with pytest.raises(IntegrityError):
        session.execute(
            insert(Client.__table__).values(
                clinic_id=999, name="X", phone="+12125550123", opted_out=False, created_at=NOW
            )
        )


def test_a_treatment_cannot_point_at_a_client_of_another_clinic(session):
    session.execute(insert(Clinic.__table__).values(**_clinic_row(id=1, slug="glow")))
    session.execute(insert(Clinic.__table__).values(**_clinic_row(id=2, slug="bright")))
    session.execute(
        insert(Client.__table__).values(
            id=1, clinic_id=1, name="Ana", phone="+12125550123", opted_out=False, created_at=NOW
        )
    )
    with pytest.raises(IntegrityError):
        session.execute(
            insert(Treatment.__table__).values(
                clinic_id=2, client_id=1, performed_at=NOW, area="face", status="done", created_at=NOW
            )
        )


def test_treatment_status_is_checked_by_the_database(session):
    session.execute(insert(Clinic.__table__).values(**_clinic_row(id=1)))
    session.execute(
        insert(Client.__table__).values(
            id=1, clinic_id=1, name="Ana", phone="+12125550123", opted_out=False, created_at=NOW
        )
    )
    # Raw SQL: the Enum type would refuse 'lost' before the database sees it.
    with pytest.raises(IntegrityError):
        session.connection().exec_driver_sql(
            "INSERT INTO treatments (clinic_id, client_id, performed_at, area, status, created_at) "
            "VALUES (1, 1, CURRENT_TIMESTAMP, 'face', 'lost', CURRENT_TIMESTAMP)"
        )


def test_treatment_clinic_follows_its_client(session):
    owner = clinic()
    treatment = Treatment(client=client_of(owner), performed_at=NOW)
    session.add_all([owner, treatment])
    session.flush()
    assert treatment.clinic_id == owner.id
    assert treatment.status is TreatmentStatus.done
    assert treatment.area == "face"


def _clinic_row(**values):
    row = dict(slug="glow", name="Glow", phone="+12125550100", timezone="America/New_York", created_at=NOW)
    row.update(values)
    return row


# Validation and properties (no database needed)


@pytest.mark.parametrize("name", ["Mars/Base", "america/new_york", "", "EST+5", "../../etc/passwd"])
def test_unknown_timezones_are_refused(name):
    with pytest.raises(InvalidValue, match="unknown timezone"):
        clinic(tz=name)


@pytest.mark.parametrize("slug", ["Glow", "glow studio", "-glow", "glow-", "", "a" * 65])
def test_bad_slugs_are_refused(slug):
    with pytest.raises(InvalidValue, match="slug"):
        clinic(slug=slug)


@pytest.mark.parametrize("phone", ["2125550123", "+1 212 555 0123", "+0123456789", "+1234"])
def test_phones_must_already_be_e164(phone):
    with pytest.raises(InvalidValue, match=r"E\.164"):
        clinic(phone=phone)


def test_text_lengths_come_from_the_columns():
    with pytest.raises(InvalidValue, match="name is too long"):
        client_of(clinic(), name="x" * 201)
    with pytest.raises(InvalidValue, match="name is empty"):
        client_of(clinic(), name="   ")


def test_unknown_status_and_alert_kind_are_refused():
    with pytest.raises(InvalidValue, match="treatment status"):
        Treatment(status="lost")
    with pytest.raises(InvalidValue, match="alert kind"):
        Alert(kind="gossip")


def test_clinic_properties():
    owner = clinic()
    assert owner.tz == NEW_YORK
    assert owner.protocol is protocols.default()
    assert owner.sms_from == "+12125550100"
    owner.sms_number = "+12125550199"
    assert owner.sms_from == "+12125550199"


def test_clinic_protocol_applies_its_override():
    owner = clinic()
    owner.protocol_yaml = protocols.example_path("seed004_late_sunscreen.yml").read_text()
    assert owner.protocol.topic("sun").windows[0].end == 12
    assert owner.protocol.topic("makeup") == protocols.default().topic("makeup")


def test_client_first_name():
    assert client_of(clinic(), name="Ana Maria Diaz").first_name == "Ana"
    assert client_of(clinic(), name="  Zoë  ").first_name == "Zoë"
