"""The settings of one ledger, from ``DIR/drawledger.toml`` (written by ``drawledger init``).

``DRAWLEDGER_DATABASE`` in the environment overrides the database URL, so that the same data
directory (keys, name) can point at a PostgreSQL server in production. A database password is
never written into ``drawledger.toml``: it comes from ``DRAWLEDGER_DATABASE`` or from the file
named by ``database_password_file`` (mode 0600, written by ``drawledger init``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from .errors import ConfigurationError
from .whole_files import write_whole

CONFIG_FILE = "drawledger.toml"
DATABASE_ENV = "DRAWLEDGER_DATABASE"
PASSWORD_FILE = "keys/database.password"
KEY_HISTORY = "keys/history.pub"  # every verifier key the ledger ever had, one a line
DEFAULT_DATABASE = "sqlite:///ledger.sqlite"
DEFAULT_SEAL_INTERVAL = 1.0  # seconds between sealing rounds in the embedded mode
MAX_SEAL_INTERVAL = 60.0
DEFAULT_BODY_LIMIT_MIB = 1  # request bodies other than uploads (JSON)
DEFAULT_UPLOAD_LIMIT_MIB = 65  # uploads (imports, evidence): a 64 MiB evidence file and its form


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    origin: str
    database: str
    key_file: Path
    witnesses: tuple[str, ...] = ()
    overlap_key: Path | None = None  # the old key, co-signing checkpoints after a rotation
    seal_interval: float = DEFAULT_SEAL_INTERVAL
    body_limit_mib: int = DEFAULT_BODY_LIMIT_MIB
    upload_limit_mib: int = DEFAULT_UPLOAD_LIMIT_MIB

    @classmethod
    def load(cls, data_dir: Path) -> Settings:
        path = data_dir / CONFIG_FILE
        if not path.exists():
            raise ConfigurationError(
                f"{path} not found: run 'drawledger init --data {data_dir}' first"
            )
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
            ledger = doc["ledger"]
            origin = str(ledger["origin"])
            database = str(ledger.get("database", DEFAULT_DATABASE))
            password_file = ledger.get("database_password_file")
            if password_file:
                database = with_password(database, _read_password(data_dir / str(password_file)))
            database = os.environ.get(DATABASE_ENV) or database
            key_file = data_dir / str(ledger.get("key", "keys/ledger.key"))
            witnesses = tuple(str(w) for w in ledger.get("witnesses", []))
            overlap = ledger.get("overlap_key")
            overlap_key = data_dir / str(overlap) if overlap else None
            seal_interval = ledger.get("seal_interval", DEFAULT_SEAL_INTERVAL)
            service = doc.get("service", {})
            body_limit = service.get("body_limit_mib", DEFAULT_BODY_LIMIT_MIB)
            upload_limit = service.get("upload_limit_mib", DEFAULT_UPLOAD_LIMIT_MIB)
        except (tomllib.TOMLDecodeError, KeyError, TypeError) as e:
            raise ConfigurationError(f"{path} is not a valid drawledger config: {e}") from None
        return cls(
            data_dir=data_dir,
            origin=origin,
            database=database,
            key_file=key_file,
            witnesses=witnesses,
            overlap_key=overlap_key,
            seal_interval=check_seal_interval(seal_interval, f"{path}: seal_interval"),
            body_limit_mib=_check_mib(body_limit, f"{path}: [service] body_limit_mib"),
            upload_limit_mib=_check_mib(upload_limit, f"{path}: [service] upload_limit_mib"),
        )

    def write(self) -> None:
        """Write ``drawledger.toml``; a password in the database URL goes to
        ``keys/database.password`` (mode 0600), named in the settings, never into the TOML."""
        key = self.key_file.relative_to(self.data_dir).as_posix()
        database, password = without_password(self.database)
        overlap_line = ""
        if self.overlap_key is not None:
            overlap = self.overlap_key.relative_to(self.data_dir).as_posix()
            overlap_line = (
                "# overlap_key: the previous key, co-signing checkpoints after a rotation\n"
                f"# ('drawledger keys end-overlap' ends it)\noverlap_key = {_toml_str(overlap)}\n"
            )
        password_line = ""
        if password:
            _write_secret(self.data_dir / PASSWORD_FILE, password)
            password_line = f"database_password_file = {_toml_str(PASSWORD_FILE)}  # mode 0600\n"
        text = (
            "# drawledger ledger settings (written by 'drawledger init').\n"
            "[ledger]\n"
            f"origin = {_toml_str(self.origin)}  # checkpoint origin and signing key name\n"
            f"# database: the store this ledger was created in ({DATABASE_ENV} overrides it)\n"
            f"database = {_toml_str(database)}\n"
            f"{password_line}"
            f"key = {_toml_str(key)}\n"
            f"{overlap_line}"
            "# witnesses: deprecated. Witnesses are added and removed by signed events\n"
            "# ('drawledger witnesses add|remove'); keys still listed here are recorded once as\n"
            "# witness.added when the ledger is opened, and a key removed stays removed.\n"
            f"witnesses = [{', '.join(_toml_str(w) for w in self.witnesses)}]\n"
            "# seal_interval: seconds between sealing rounds in the embedded (SQLite) mode, one\n"
            "# checkpoint per round; 0 seals within each command (a checkpoint per command)\n"
            f"seal_interval = {self.seal_interval!r}\n"
            "[service]\n"
            "# the largest request bodies 'drawledger serve' reads, in MiB (413 beyond them):\n"
            "# uploads (multipart/form-data: imports, evidence) and every other body (JSON)\n"
            f"upload_limit_mib = {self.upload_limit_mib}\n"
            f"body_limit_mib = {self.body_limit_mib}\n"
        )
        # a kill or a full disk mid-write keeps the old settings
        write_whole(self.data_dir / CONFIG_FILE, text, private=True)


def check_seal_interval(value: object, what: str = "seal_interval") -> float:
    """The sealing interval in seconds, 0 to 60; anything else is a ``ConfigurationError``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{what} must be a number of seconds, got {value!r}")
    if not 0 <= value <= MAX_SEAL_INTERVAL:
        raise ConfigurationError(
            f"{what} must be between 0 and {MAX_SEAL_INTERVAL:g} seconds, got {value!r}"
        )
    return float(value)


def without_password(url: str) -> tuple[str, str]:
    """The database URL without its password, and the password ("" if none)."""
    parts = urlsplit(url)
    if not parts.password:
        return url, ""
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0]
    return parts._replace(netloc=f"{user}@{netloc}").geturl(), unquote(parts.password)


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        raise ConfigurationError(f"database URL {url!r} names no user for its password")
    user, host = parts.netloc.rsplit("@", 1)
    return parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}").geturl()


def _read_password(path: Path) -> str:
    if not path.exists():
        raise ConfigurationError(f"{path} (database_password_file) not found")
    if path.stat().st_mode & 0o077:
        raise ConfigurationError(f"{path} is readable by others: chmod 600 {path}")
    return path.read_text(encoding="utf-8").strip()


def _write_secret(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secret + "\n")
    os.chmod(path, 0o600)


def _check_mib(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4096:
        raise ConfigurationError(f"{what} must be a whole number of MiB, 1 to 4096, got {value!r}")
    return value


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
