"""The read-model tables: current state of each registry, the trail (whose acts on registry
entries are their history, ``history.py``), and tracking positions.

Every row is derived from the log and can be dropped and rebuilt. Times are the events' own UTC
strings (``2026-01-19T08:00:00.000000Z``) and positions are notification ids, so a rebuild
writes exactly the same rows. Lists used as filters (a target's items, an inspector's
qualifications, an official's roles) also have a link table, so that filters are plain joins on
both SQLite and PostgreSQL.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from ledger.storage import SCHEMA_LOCK

log = logging.getLogger(__name__)
metadata = MetaData()


def made_alone(conn: Connection) -> None:
    """PostgreSQL: the rest of ``conn``'s transaction (read-model tables made or dropped) run
    by one process at a time, under a transaction-level advisory lock (the ledger's schema
    lock: ``ledger.storage.schema_made_alone``). Workers starting at once made the same tables
    at once, and PostgreSQL refused all but one (a duplicate type)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK})


# A text column whose values a projection may give as the text's UTF-8 bytes (the trail's
# payloads, cut out of their records: ``history.kept_payload``): stored as text, not as blobs
# (SQLite: ``CAST(? AS TEXT)``, ``multirow_inserts.placeholder``; PostgreSQL: decoded).
GIVEN_AS_UTF8 = "given_as_utf8"

_ID = String(36)  # an aggregate id (UUID text)
_CODE = String(64)
_TIME = String(32)
# A position that is a table's key: on SQLite an INTEGER PRIMARY KEY, the table's own rowid (a
# BIGINT key would be a second B-tree beside the rowid's, written on every insert).
_POSITION_KEY = BigInteger().with_variant(Integer(), "sqlite")
# A table of keys only is ``sqlite_with_rowid=False`` (WITHOUT ROWID) on SQLite: its rows are
# its primary key's B-tree (one written per row, not the rowid's and the key's).


def _meta() -> list[Column[object]]:
    """Columns every current-state table has: the entry's version and where it was last changed."""
    return [
        Column("version", Integer, nullable=False),
        Column("position", BigInteger, nullable=False),  # notification id of the latest event
        Column("registered_at", _TIME, nullable=False),
        Column("updated_at", _TIME, nullable=False),
    ]


# -- tracking: one row per projection, written in the same transaction as its rows -------------

tracking = Table(
    "projection_tracking",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),  # every notification <= it is processed
    Column("schema_version", Integer, nullable=False),
)

# -- divisions and officials -------------------------------------------------------------------

divisions = Table(
    "rm_divisions",
    metadata,
    Column("id", _ID, primary_key=True),
    Column("code", _CODE, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("kind", String(32), nullable=False, index=True),
    Column("contact", _CODE),
    *_meta(),
)

officials = Table(
    "rm_officials",
    metadata,
    Column("id", _ID, primary_key=True),
    Column("code", _CODE, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("division", _CODE, nullable=False, index=True),
    Column("roles", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("inspector", _CODE),  # the roster inspector the official is bound to, if any
    *_meta(),
)

official_roles = Table(
    "rm_official_roles",
    metadata,
    Column("official_id", _ID, primary_key=True),
    Column("role", String(32), primary_key=True),
    Index("ix_rm_official_roles_role", "role"),
)

# Only token ids: the hashes stay in the log and are never served.
official_tokens = Table(
    "rm_official_tokens",
    metadata,
    Column("official_id", _ID, primary_key=True),
    Column("token_id", String(32), primary_key=True),
    Column("issued_at", _TIME, nullable=False),
    Column("issued_position", BigInteger, nullable=False),
    Column("issued_by", String(64), nullable=False),  # the actor's official ("drawledger")
    Column("expires_at", _TIME),  # null: issued before tokens had a life ("reissue")
    Column("label", String(64)),
    Index("ix_rm_official_tokens_expires_at", "expires_at"),
)

# -- targets -----------------------------------------------------------------------------------

# Found by id through a unique index, not a primary key (likewise ``trail_records``): a rebuild
# builds it from the rows once they are in, or when a handler first looks a row up
# (``tracking.Writer.unindexed``), instead of keeping it up row by row in the random order of
# the ids (PERFORMANCE.md, session 22).
targets = Table(
    "rm_targets",
    metadata,
    Column("id", _ID, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("code", _CODE, nullable=False),  # (its lookups' index: below)
    Column("name", Text),  # None for individuals: their name is personal data
    Column("legal_representative", Text),
    Column("address", Text),
    Column("district", String(32), nullable=False),
    Column("grid", _CODE),
    Column("division", _CODE, nullable=False),
    Column("items", JSON, nullable=False),
    Column("permit", JSON),
    Column("credit_class", String(1), nullable=False),
    Column("risk_flags", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("person_ref", _CODE),  # individuals: the pseudonymous reference only
    Column("personal_data_erased", Boolean, nullable=False, default=False),
    *_meta(),
    Index("ux_rm_targets_id", "id", unique=True),
)
# Pages are ordered by code in byte order, then id: one index in that order serves a page (and
# the page after a given entry) without sorting the table. PostgreSQL compares in the column's
# collation unless told otherwise, so its index is on ``code COLLATE "C"``, the order queries.py
# asks for; SQLite's default (BINARY) already is byte order.
# A page filtered by one of the list's fields (a division's or a district's targets, ...) is
# served the same way by an index on that field followed by the page order: the matching rows
# come out in page order, where an index on the field alone would make the database sort every
# match (a sixth of 1,000,000 targets for one district) to give 50. Each also serves a lookup
# by its field alone.
PAGE_FILTERS = ("kind", "district", "division", "credit_class", "status")


def _page_index(name: str, *lead: Column[Any]) -> None:
    Index(name, *lead, targets.c.code, targets.c.id).ddl_if(dialect="sqlite")
    Index(f"{name}_c", *lead, targets.c.code.collate("C"), targets.c.id).ddl_if(
        dialect="postgresql"
    )


_page_index("ix_rm_targets_page")
for _field in PAGE_FILTERS:
    _page_index(f"ix_rm_targets_{_field}_page", targets.c[_field])
# A lookup by code: on SQLite the page index (code, id) serves it (its leading column; one
# index fewer for a rebuild to build, 0.6 s at a million targets); PostgreSQL's page index is
# in the "C" collation, which an equality in the column's own does not use.
Index("ix_rm_targets_code", targets.c.code).ddl_if(dialect="postgresql")

# Text inside names and codes (``?q=``) is found through a trigram index, so that a search for a
# rare name does not read every target: on SQLite a contentless FTS5 table with the trigram
# tokenizer (``TARGET_TEXT``, keyed by the target row's rowid and kept by triggers, so every
# writer of ``rm_targets`` keeps it: the projection, a rebuild (by runs: text_runs.py), the
# benchmarks), on PostgreSQL GIN indexes with ``gin_trgm_ops`` (extension pg_trgm). Trigrams
# find texts of 3 characters or more; queries.py refuses a shorter one. Where neither is
# available (a SQLite built without FTS5, a PostgreSQL without the contrib extension) the search
# still answers, by reading every target, and the read side logs a warning when it creates the
# tables.
# The read database is never VACUUMed: SQLite may renumber the rowids of a table without an
# INTEGER PRIMARY KEY when it is (rebuild the targets projection after one).
TARGET_TEXT = "rm_targets_text"
_TEXT_TRIGGERS = (
    f"""CREATE TRIGGER {TARGET_TEXT}_insert AFTER INSERT ON rm_targets BEGIN
    INSERT INTO {TARGET_TEXT}(rowid, name, code) VALUES (new.rowid, new.name, new.code); END""",
    f"""CREATE TRIGGER {TARGET_TEXT}_update AFTER UPDATE OF name, code ON rm_targets BEGIN
    INSERT INTO {TARGET_TEXT}({TARGET_TEXT}, rowid, name, code)
        VALUES ('delete', old.rowid, old.name, old.code);
    INSERT INTO {TARGET_TEXT}(rowid, name, code) VALUES (new.rowid, new.name, new.code); END""",
    f"""CREATE TRIGGER {TARGET_TEXT}_delete AFTER DELETE ON rm_targets BEGIN
    INSERT INTO {TARGET_TEXT}({TARGET_TEXT}, rowid, name, code)
        VALUES ('delete', old.rowid, old.name, old.code); END""",
)


# The insert trigger alone, for a rebuild that indexes runs of targets instead (text_runs.py).
TEXT_INSERT_TRIGGER = (f"{TARGET_TEXT}_insert", _TEXT_TRIGGERS[0])


@functools.cache
def sqlite_trigrams() -> str | None:
    """None if this SQLite has FTS5 with the trigram tokenizer (3.34 and later), else why not."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE VIRTUAL TABLE probe USING fts5(x, content='', tokenize='trigram')")
    except sqlite3.Error as e:
        return f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer ({e})"
    finally:
        db.close()
    return None


def _trgm_installed(
    ddl: Any,
    target: Any,
    bind: Connection | None,
    tables: list[Table] | None = None,
    state: Any = None,
    **_: Any,
) -> bool:
    """Whether the database ``bind`` has pg_trgm (so its GIN indexes can be made)."""
    if bind is None:
        return False
    found = bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    return found.first() is not None


@event.listens_for(targets, "before_create")
def _before_targets(table: Table, conn: Connection, **_: Any) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TARGET_TEXT}")
    elif conn.dialect.name == "postgresql" and not _trgm_installed(None, table, conn):
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DBAPIError as e:
            log.warning("没有 pg_trgm：文本检索将逐条读取全部对象（%s）(no pg_trgm)", e.orig)


@event.listens_for(targets, "after_create")
def _after_targets(table: Table, conn: Connection, **_: Any) -> None:
    if conn.dialect.name != "sqlite":
        return
    missing = sqlite_trigrams()
    if missing is not None:
        log.warning("%s：文本检索将逐条读取全部对象 (a text search reads every target)", missing)
        return
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE {TARGET_TEXT} USING fts5(name, code, content='', tokenize='trigram')"
    )
    for trigger in _TEXT_TRIGGERS:
        conn.exec_driver_sql(trigger)


@event.listens_for(targets, "after_drop")
def _after_targets_dropped(table: Table, conn: Connection, **_: Any) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TARGET_TEXT}")


for _column in ("name", "code"):
    Index(
        f"ix_rm_targets_{_column}_trgm",
        targets.c[_column],
        postgresql_using="gin",
        postgresql_ops={_column: "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql", callable_=_trgm_installed)

# A target's items: the item filter reads its holders from (item, target_id) alone.
target_items = Table(
    "rm_target_items",
    metadata,
    Column("target_id", _ID, primary_key=True),
    Column("item", _CODE, primary_key=True),
    Index("ix_rm_target_items_item", "item", "target_id"),
    sqlite_with_rowid=False,  # a table of keys only: see above
)

# -- inspectors --------------------------------------------------------------------------------

inspectors = Table(
    "rm_inspectors",
    metadata,
    Column("id", _ID, primary_key=True),
    Column("code", _CODE, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("certificate", JSON, nullable=False),
    Column("unit", _CODE, nullable=False, index=True),
    Column("division", _CODE, nullable=False, index=True),
    Column("agency_staff", Boolean, nullable=False),
    Column("qualifications", JSON, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    *_meta(),
)

inspector_qualifications = Table(
    "rm_inspector_qualifications",
    metadata,
    Column("inspector_id", _ID, primary_key=True),
    Column("item", _CODE, primary_key=True),
    Index("ix_rm_inspector_qualifications_item", "item"),
)

inspector_conflicts = Table(
    "rm_inspector_conflicts",
    metadata,
    Column("inspector_id", _ID, primary_key=True),
    Column("target", _ID, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("declared_at", _TIME, nullable=False),
    Index("ix_rm_inspector_conflicts_target", "target"),
)

# -- items and the published lists -------------------------------------------------------------

items = Table(
    "rm_items",
    metadata,
    Column("id", _ID, primary_key=True),
    Column("code", _CODE, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("legal_basis", JSON, nullable=False),
    Column("division", _CODE, nullable=False, index=True),
    Column("executing_units", JSON, nullable=False),
    Column("object_type", String(64), nullable=False),
    Column("checklist", JSON, nullable=False),
    Column("method", JSON, nullable=False),
    Column("item_class", String(16), nullable=False, index=True),
    Column("ratio_percent", Integer),
    Column("frequency_per_year", Integer),
    Column("withdrawn", Boolean, nullable=False),
    *_meta(),
)

item_lists = Table(
    "rm_item_lists",
    metadata,
    Column("id", _ID, primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("digest", String(64), nullable=False),
    Column("published_at", _TIME, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("published_by", _CODE, nullable=False),
    Column("items", JSON, nullable=False),
)

# -- inspections and publications --------------------------------------------------------------

inspections = Table(
    "rm_inspections",
    metadata,
    Column("id", _ID, primary_key=True),
    Column("source", _ID, nullable=False, index=True),  # the draw or directed inspection
    Column("random", Boolean, nullable=False),
    Column("target", String(200), nullable=False, index=True),
    Column("division", _CODE, nullable=False, index=True),
    Column("items", JSON, nullable=False),
    Column("step", String(32), nullable=False, index=True),
    Column("notified_on", String(10), nullable=False),
    Column("carried_out_on", String(10)),
    Column("category", String(32)),
    Column("confirmed_on", String(10)),
    Column("confirmed", Boolean),
    Column("follow_up", String(32)),  # the latest follow-up's kind
    Column("penalty_on", String(10)),  # when a penalty was decided (双公示 due from then)
    Column("closed_on", String(10)),
    *_meta(),
)

publications = Table(
    "rm_publications",
    metadata,
    Column("id", _ID, primary_key=True),
    Column("inspection", _ID, nullable=False, index=True),
    Column("channel", String(32), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("target_code", String(200), nullable=False, index=True),
    Column("target_name", Text, nullable=False),
    Column("items", JSON, nullable=False),
    Column("division", _CODE, nullable=False, index=True),
    Column("division_name", Text, nullable=False),
    Column("inspected_on", String(10), nullable=False),
    Column("category", String(32)),
    Column("category_label", Text),
    Column("follow_up", String(32)),
    Column("follow_up_label", Text),
    Column("content", JSON, nullable=False),
    Column("content_digest", String(64), nullable=False),
    Column("supersedes", String(64)),  # the digest a correction replaced
    Column("published_on", String(10), nullable=False, index=True),
    Column("published_at", _TIME, nullable=False),
    Column("deadline", String(10), nullable=False),
    Column("on_time", Boolean, nullable=False),
    *_meta(),
)

# -- the responsibility trail: every act, and what each touches (trail.py); a registry entry's
# acts are its history (history.py) --------------------------------------------------------------

_KEY = String(200)  # an entity's key: a credit code, an aggregate id, a code

trail_acts = Table(
    "trail_acts",
    metadata,
    Column("position", _POSITION_KEY, primary_key=True, autoincrement=False),
    Column("time", _TIME, nullable=False),
    Column("type", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("aggregate_id", _ID, nullable=False),
    Column("version", Integer, nullable=False),
    Column("official", _CODE, nullable=False, index=True),
    Column("role", String(32), nullable=False),
    Column("department", _CODE, nullable=False),
    Column("digest", String(64), nullable=False),  # SHA-256 of the signed envelope (FORMAT.md)
    Column("leaf_hash", String(64), nullable=False),  # its leaf in the transparency log
    Column("payload", JSON, nullable=False, info={GIVEN_AS_UTF8: True}),
    Column("token", String(32)),  # the id of the API token the act was done with, if any
    Column("on_request_of", _CODE),  # the operator's: the official whose written request
    Column("request", Text),  # and the request (docs/FORMAT.md, the envelope's actor)
    Index("ix_trail_acts_record", "aggregate_id", "position"),  # a record's acts, its step
)

# Every token ever issued, revoked ones too (rm_official_tokens forgets those): who issued it,
# when and where, and until when it lived, for "acted with token X issued by Y on D".
trail_tokens = Table(
    "trail_tokens",
    metadata,
    Column("official_id", _ID, primary_key=True),
    Column("token_id", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("time", _TIME, nullable=False),
    Column("issued_by", _CODE, nullable=False),
    Column("expires", _TIME),
)

# One row per entity an act touches, its own record's included: the trail of a target, draw,
# directed record, inspection, publication, plan, inspector, item or division is one index scan.
trail_links = Table(
    "trail_links",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("key", _KEY, primary_key=True),
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Index("ix_trail_links_position", "position"),
    sqlite_with_rowid=False,  # a table of keys only: see above
)

# What every later act on a record touches, as its creating event named it (a result names
# neither the target nor the draw: its inspection's creation does).
# With each record's division, year (China time; a plan's period) and where it was created: the
# lists of plans, draws, directed records, inspections and publications (whose step is that of
# their latest act, read from trail_acts as of the position asked).
trail_records = Table(
    "trail_records",
    metadata,
    Column("id", _ID, nullable=False),  # (a unique index: as ``targets``)
    Column("kind", String(32), nullable=False),
    Column("division", _CODE, index=True),
    Column("year", Integer, index=True),
    Column("created_position", BigInteger, nullable=False, index=True),
    Column("created_at", _TIME, nullable=False),
    Column("links", JSON, nullable=False),
    Index("ix_trail_records_kind", "kind", "created_position"),
    Index("ux_trail_records_id", "id", unique=True),
)

# Where each policy version came into force: an act is under the last one at or before it.
trail_policies = Table(
    "trail_policies",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("version", String(64), nullable=False),
)

# Each item's legal basis from where it was registered or amended: an act is under the basis
# of each of its items as it stood at the act.
trail_legal_bases = Table(
    "trail_legal_bases",
    metadata,
    Column("item", _CODE, primary_key=True),
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("legal_basis", JSON, nullable=False),
)
