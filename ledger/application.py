"""The ledger application: takes commands, stores signed events, seals them.

It is an ``eventsourcing`` Application whose mapper signs every event (``mapper.py``) and whose
configuration comes only from the ledger's settings, never from stray environment variables.
In the embedded mode (SQLite) it seals its own log: in a background task, one checkpoint per
``seal_interval`` (``start_sealing``/``stop_sealing``, run by the service), or explicitly with
``seal()`` (the CLI's one-shot commands, once at their end); a ``seal_interval`` of 0 seals
within each command instead. With PostgreSQL a separate follower (``drawledger seal
--follow``) seals.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import IntegrityError, Notification
from eventsourcing.utils import Environment

from verify.events import SignedEvent
from verify.keys import SignerKey, VerifierKey
from verify.merkle import leaf_hash

from . import vouching
from .actors import SYSTEM, Actor
from .aggregates import LedgerAggregate
from .clock import stepped_back
from .config import DEFAULT_SEAL_INTERVAL, Settings, check_seal_interval
from .datadir import PRIVATE_UMASK
from .errors import Conflict, NotFound, TamperedEvent
from .keyfile import load_key, load_key_history
from .ledger_meta import Ledger, ledger_id
from .mapper import SigningMapper
from .policy import Policy, default_policy
from .proof_tiles import ProofTiles
from .sealer import Sealer, SealError, StoredCheckpoint
from .sealing import SealingTask
from .sequenced import Sequenced
from .storage import (
    POSTGRES_RECORDER_TOPIC,
    Stored,
    StoredRow,
    check_reachable,
    hot_connection_first,
    install_append_only_guards,
    is_postgres,
    persistence_env,
)
from .transactions import held, hold
from .vouching import sealed_records

log = logging.getLogger(__name__)

# The positions saved inside ``positions_saved()``: a list shared with the threads that the
# context is copied into (as FastAPI runs a route), so the caller sees what they saved.
_saved_positions: ContextVar[list[int] | None] = ContextVar("saved_positions", default=None)


@contextmanager
def positions_saved() -> Iterator[list[int]]:
    """Collect the ledger position (notification id) of the last event of every save made
    inside the block, in this context and in any context copied from it; a block inside
    another gives its positions to the enclosing one too as it ends (a page's act inside a
    request whose answer names the position it stored)."""
    outer = _saved_positions.get()
    positions: list[int] = []
    token = _saved_positions.set(positions)
    try:
        yield positions
    finally:
        _saved_positions.reset(token)
        if outer is not None:
            outer.extend(positions)


class LedgerApp(Application[UUID]):
    """One ledger: its event store, signing key and sealer."""

    name = "drawledger"

    def __init__(
        self,
        env: dict[str, str],
        signer: SignerKey,
        origin: str,
        *,
        verifiers: list[VerifierKey] = (),  # type: ignore[assignment]
        embedded_sealing: bool | None = None,
        seal_interval: float = DEFAULT_SEAL_INTERVAL,
    ) -> None:
        self.signer = signer
        self.origin = origin
        self.data_dir: Path | None = None  # set by open(); where files beside the log live
        self._verifiers = {v.key_id: v for v in verifiers}
        super().__init__(env)
        mapper = self.mapper
        assert isinstance(mapper, SigningMapper)
        mapper.recorder = self.recorder
        hot_connection_first(self.recorder)  # a run of saves keeps its connection's cache
        install_append_only_guards(self.recorder, [self.events_table])
        self.sealer = Sealer(self.recorder, signer, origin)
        self.sealer.before_sealing = self.check_before_sealing
        self.proof_tiles = ProofTiles(self.sealer)
        self.sealer.after_sealing = self.proof_tiles.keep_up  # tiles hashed as sealed
        # Called after every successful save (embedded mode: projections catch up here).
        self.after_save: list[Callable[[], None]] = []
        # Called by close(), newest first: what follows this application (its read models)
        # releases its connections with it.
        self.on_close: list[Callable[[], None]] = []
        # Whether this process seals its own log (the embedded mode), and how often.
        self.embedded_sealing = (
            not is_postgres(self.recorder) if embedded_sealing is None else embedded_sealing
        )
        self.seal_interval = check_seal_interval(seal_interval)
        mapper.keep_unsealed = self.embedded_sealing  # for check_before_sealing
        self.sealing = SealingTask(self.sealer, self.seal_interval)
        # The last event this process recorded timed before the one it follows (clock.py)
        self.clock_stepped_back: dict[str, Any] | None = None
        # The position and time of the last event this process recorded (``stepped_back``).
        self._last_recorded: tuple[int, datetime] | None = None

    @classmethod
    def open(cls, data_dir: Path, **kwargs: Any) -> LedgerApp:
        """Open the ledger of a data directory (its settings, key and database). From here on
        the process creates files its owner's alone (umask 077): a command run from a shell's
        umask 022 (a rebuild making the read models, a key rotation, a demo's evidence) must not
        leave a file the service then refuses to start on (``datadir.check_private``)."""
        os.umask(PRIVATE_UMASK)
        settings = Settings.load(data_dir)
        signer = load_key(settings.key_file)
        env = persistence_env(settings.database, data_dir)
        check_reachable(env)  # a stopped server: said at once, not after the pool's timeout
        kwargs.setdefault("seal_interval", settings.seal_interval)
        kwargs.setdefault("verifiers", load_key_history(data_dir))
        app = cls(env, signer, settings.origin, **kwargs)
        try:
            app.data_dir = data_dir
            if settings.overlap_key is not None:
                app.sealer.overlap = [load_key(settings.overlap_key)]
            if settings.witnesses and ledger_id(app.origin) in app.repository:
                from .witness import migrate_settings_file

                migrate_settings_file(app, list(settings.witnesses), data_dir)
        except BaseException:
            app.close()
            raise
        return app

    # -- eventsourcing hooks -----------------------------------------------------------------

    def construct_env(self, name: str, env: Any = None) -> Any:
        # Configuration alone chooses the backend: ignore os.environ on purpose.
        settings = dict(env or {})
        if settings.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
            settings.setdefault("APPLICATION_RECORDER_TOPIC", POSTGRES_RECORDER_TOPIC)
        return Environment(name, settings)

    def construct_mapper(self) -> SigningMapper:
        return SigningMapper(self.construct_transcoder(), self.signer, self._verifiers)

    @property
    def key_history(self) -> list[VerifierKey]:
        """Every key whose signatures this ledger reads (keys/history.pub and its own)."""
        mapper = self.mapper
        assert isinstance(mapper, SigningMapper)
        return list(mapper.verifiers.values())

    @property
    def events_table(self) -> str:
        return str(self.recorder.events_table_name)  # type: ignore[attr-defined]

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        try:
            recordings = self._store(*objs, **kwargs)
        except IntegrityError:
            raise Conflict(
                "another command changed the same record at the same time; read it and retry"
            ) from None
        positions = _saved_positions.get()
        if positions is not None and recordings:
            positions.append(recordings[-1].notification.id)
        if held(self.recorder) is None:
            if recordings:
                try:
                    self.clock_stepped_back = stepped_back(
                        self, recordings[0], self._last_recorded
                    ) or (self.clock_stepped_back)
                except Exception as e:  # noqa: BLE001 - the command is recorded: never fail it here
                    log.warning("命令（已记录）之后的时钟检查失败：%s (the clock check failed)", e)
                last = recordings[-1]
                self._last_recorded = (int(last.notification.id), last.domain_event.timestamp)
            self._after_commit()
        return recordings

    @contextmanager
    def one_transaction(self) -> Iterator[Any]:
        """Every ``save`` of this thread inside the block in one transaction, committed when
        the block ends (rolled back if it raises); sealed and followed once, after the commit
        (``ledger/transactions.py``). Yields the held transaction (``execute`` writes a side
        table in it)."""
        outer = held(self.recorder)
        if outer is not None:  # nested: the outer block commits
            yield outer
            return
        with hold(self.recorder) as current:
            yield current
        if current.inserted:
            self._after_commit()

    def _after_commit(self) -> None:
        if self.embedded_sealing and self.seal_interval == 0:
            try:
                self.sealer.seal()
            except SealError as e:
                raise SealError(f"the command was recorded but not sealed: {e}") from None
        for hook in self.after_save:
            hook()

    def _store(self, *objs: Any, **kwargs: Any) -> Any:
        """``Application.save`` without its runtime Protocol checks, which cost about 20 µs per
        aggregate on Python 3.11: the ledger's own aggregates hand over their events directly.
        """
        if not all(isinstance(obj, LedgerAggregate) for obj in objs):
            return super().save(*objs, **kwargs)
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            processing.events.extend(obj.collect_events())
            processing.aggregates[obj.id] = obj
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)  # the same steps as Application.save
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)
        return recordings

    def close(self) -> None:
        """Stop the sealing task, if it runs, after its last round; then close what follows
        this application (``on_close``) and release everything."""
        try:
            if self.sealing.running:
                self.stop_sealing()
        finally:
            try:
                while self.on_close:
                    self.on_close.pop()()
            finally:
                assert isinstance(self.mapper, SigningMapper)
                self.mapper.close()  # its signing helper process, if a bulk import started one
                super().close()

    # -- sealing -------------------------------------------------------------------------------

    def seal(self) -> StoredCheckpoint | None:
        """Seal everything stored so far now, in one checkpoint (None if nothing was new)."""
        return self.sealer.seal()

    def start_sealing(self) -> None:
        """Start the embedded mode's sealing task; its first round seals at once whatever was
        stored unsealed (by a crash, or a command of another process). Nothing to start with
        PostgreSQL, where the follower seals."""
        if not self.embedded_sealing:
            return
        self.tell_unsealed()
        if self.seal_interval == 0:  # each command seals; only the leftovers are sealed here
            self.sealing.run_round()
        else:
            self.sealing.start()

    def tell_unsealed(self) -> int:
        """Say (a warning, in Chinese, for the operator) how many recorded events no checkpoint
        covers yet, as a start finds them after a process that did not stop (kill -9, a power
        cut): acknowledged commands, sealed by the round that follows. Returns that count."""
        head = self.recorder.max_notification_id() or 0
        latest = self.sealer.latest()
        sealed = latest.last_notification_id if latest else 0
        if head > sealed:
            log.warning(
                "启动时发现 %d 个已记录、尚未封存的事件（账本位置 %d 至 %d：上次运行未正常停止，"
                "如 kill -9 或断电；它们都已确认写入账本）：本次封存将其纳入新的检查点 "
                "(%d recorded events were unsealed at the start; sealing them now)",
                head - sealed,
                sealed + 1,
                head,
                head - sealed,
            )
        return head - sealed

    def stop_sealing(self) -> StoredCheckpoint | None:
        """Stop the sealing task after one last round, which raises if it fails."""
        if not self.embedded_sealing:
            return None
        return self.sealing.stop()

    def wait_sealed(self, position: int, timeout: float) -> StoredCheckpoint | None:
        """The latest checkpoint once one covers ledger position ``position``, or None if none
        does within ``timeout`` seconds."""
        return self.sealing.wait_sealed(position, timeout)

    def get(
        self, aggregate_id: UUID, cls: type[Any] | None = None, *, named: str | None = None
    ) -> Any:
        """The aggregate ``aggregate_id`` (NotFound if none, or if it is no ``cls``); ``named``:
        the code the caller wrote, which a NotFound names in place of the internal id."""
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            what = cls.TOPIC if cls is not None else "record"
            if named is not None:
                shown = named if named and named.split() == [named] else repr(named)
                raise NotFound(f"no {what} with code {shown}") from None
            raise NotFound(f"no {what} with id {aggregate_id}") from None
        except OriginatorVersionError as e:
            found, expected = e.args if len(e.args) == 2 else ("?", "?")
            raise TamperedEvent(
                f"aggregate {aggregate_id}: expected version {expected}, found version {found}: "
                f"version {expected} is missing from the store"
            ) from None
        if cls is not None and not isinstance(aggregate, cls):
            raise NotFound(f"{aggregate_id} is a {type(aggregate).TOPIC}, not a {cls.TOPIC}")
        return aggregate

    # -- commands ------------------------------------------------------------------------------

    def create_ledger(self, actor: Actor = SYSTEM) -> UUID:
        """Record the ledger's own creation: its origin and signing key (``ledger.created``)."""
        held = self.recorder.max_notification_id() or 0
        if held:  # checked on the stored records: another key's events would not even decode
            raise Conflict(
                f"the store holds {held} events already (a ledger made before, perhaps by "
                "another data directory): a new ledger needs an empty database or SQLite file"
            )
        ledger = Ledger.create(self.origin, str(self.signer.verifier), actor.to_json())
        self.save(ledger)
        return ledger.id

    def set_policy(self, document: dict[str, Any], actor: Actor, reason: str = "") -> str:
        """Record a policy version (``policy.set``); a version name can be set only once.
        Who may is decided by ``policies.Policies.set``, which the API and CLI call."""
        policy = Policy.set(document, actor.to_json(), reason)
        if policy.id in self.repository:
            raise Conflict(
                f"policy version {policy.policy_version!r} is recorded already; "
                "a change needs a new version name"
            )
        self.save(policy)
        return policy.policy_version

    def set_default_policy(self, actor: Actor = SYSTEM) -> str:
        """The ledger's first policy version, the default (the set-up's, the operator's alone);
        Conflict once a version is recorded: the next is ``policies.Policies.set``'s to judge."""
        if next(self.notifications(topics=["policy.set"], batch=1), None) is not None:
            raise Conflict(
                "the ledger has its policy already: a new version is recorded by whom the "
                "version in force names (drawledger policy set, POST /policy)"
            )
        return self.set_policy(default_policy(), actor)

    # -- queries -------------------------------------------------------------------------------

    def policy_in_force(self, at_notification_id: int | None = None) -> dict[str, Any]:
        """The policy document of the last ``policy.set`` (up to a log position, if given)."""
        found = None
        for n in self.notifications(topics=["policy.set"], stop=at_notification_id):
            found = n
        if found is None:
            raise NotFound("no policy has been set on this ledger")
        event = self.domain_event(found)
        return dict(event.document)

    def notifications(
        self,
        *,
        topics: list[str] | None = None,
        start: int = 1,
        stop: int | None = None,
        batch: int = 1000,
    ) -> Iterator[Notification]:
        """The stored events from position ``start`` to ``stop`` in log order (optionally only
        some types), read a page at a time: the one loop that pages the log."""
        while True:
            page = self.recorder.select_notifications(
                start=start, limit=batch, stop=stop, topics=topics or ()
            )
            yield from page
            if len(page) < batch:
                return
            start = page[-1].id + 1

    def records(
        self,
        *,
        topics: list[str] | None = None,
        start: int = 1,
        stop: int | None = None,
        batch: int = 1000,
        vouch: bool | None = None,
    ) -> Iterator[tuple[int, SignedEvent]]:
        """The stored events from ``start`` to ``stop`` in log order, each checked by the
        signing mapper (form, signature, chain) as it is read: the one reader of stored bytes
        for the service. Raises TamperedEvent naming the ledger position of the first event
        that fails; records already vouched for are not verified again (``mapper.py``). A
        read of the whole log from its start (a cold fold) vouches for the sealed prefix
        through its signed checkpoint instead: one SHA-256 per record (``vouching.py``); so
        does any read with ``vouch`` (worth it for a long read: the check hashes the prefix
        from its start)."""
        if topics is None and (vouch if vouch is not None else start == 1):
            yield from sealed_records(self, start, stop, batch)
            return
        for n in self.notifications(topics=topics, start=start, stop=stop, batch=batch):
            yield n.id, self.checked(n, f"ledger position {n.id}")

    def record_pages(self, *, start: int = 1, batch: int = 1000) -> Iterator[vouching.Page]:
        """``records(start=start, vouch=True)`` a page at a time, each record with its leaf
        hash (a rebuild of the read models stores it; ``vouching.sealed_pages``)."""
        return vouching.sealed_pages(self, start, None, batch)

    def records_of(
        self, aggregate_id: UUID, *, desc: bool = False, limit: int | None = None
    ) -> list[SignedEvent]:
        """One aggregate's stored events in version order (newest first if ``desc``), each
        checked as ``records`` checks them."""
        stored = self.recorder.select_events(aggregate_id, desc=desc, limit=limit)
        return [self.checked(s, f"aggregate {aggregate_id}") for s in stored]

    def domain_event_of(self, event: SignedEvent) -> Any:
        """The domain event of a record ``records`` checked."""
        mapper = self.mapper
        assert isinstance(mapper, SigningMapper)
        return mapper.domain_event_of(event)

    def domain_event(self, notification: Notification) -> Any:
        """One stored event of the log as its domain event, checked as ``records`` checks;
        TamperedEvent names its ledger position."""
        try:
            return self.mapper.to_domain_event(notification)
        except TamperedEvent as e:
            raise TamperedEvent(f"ledger position {notification.id}: {e}") from None

    def checked(
        self, stored: Stored, where: str, *, sealed: bool = False, leaf: bytes | None = None
    ) -> SignedEvent:
        """One stored event checked by the signing mapper; TamperedEvent says ``where``.
        ``sealed``: its bytes were vouched for by a signed checkpoint (``vouching.py``);
        ``leaf``: their leaf hash, if the caller has just computed it."""
        mapper = self.mapper
        assert isinstance(mapper, SigningMapper)
        try:
            return mapper.check(stored, sealed=sealed, leaf=leaf)
        except TamperedEvent as e:
            raise TamperedEvent(f"{where}: {e}") from None

    def checked_sealed_page(
        self, notes: Sequence[Notification | StoredRow], leaves: Sequence[bytes]
    ) -> list[SignedEvent]:
        """A page of records vouched for by a signed checkpoint (``vouching.py``), each with
        its leaf hash, checked as ``checked(n, …, sealed=True)`` checks them; TamperedEvent
        names the ledger position of the first that fails."""
        mapper = self.mapper
        assert isinstance(mapper, SigningMapper)
        try:
            return mapper.check_sealed_page(notes, leaves)
        except TamperedEvent:
            for n in notes:  # the position of the first that fails, as ``checked`` names it
                self.checked(n, f"ledger position {n.id}", sealed=True)
            raise

    def check_before_sealing(self, sequenced: Sequenced) -> None:
        """Before a sealing round integrates them: every record this process did not sign or
        check already is checked now (signature, form, chain), so that a checkpoint vouches
        only for verified records. SealError names the first that fails: nothing is sealed."""
        mapper = self.mapper
        assert isinstance(mapper, SigningMapper)
        unknown = mapper.not_vouched(sequenced)
        mapper.integrated(sequenced.hashes)
        if not unknown:
            return
        for n in self.notifications(start=min(unknown), stop=max(unknown)):
            if n.id not in unknown:
                continue
            if leaf_hash(n.state) != unknown[n.id]:
                raise SealError(f"ledger position {n.id} changed while it was being sealed")
            try:
                self.checked(n, f"ledger position {n.id}")
            except TamperedEvent as e:
                raise SealError(f"refusing to seal: {e}") from None
