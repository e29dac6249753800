"""One DSN names the ClickHouse store; this module turns it into a clickhouse-connect client.

Both kinds of store go through the same ``clickhouse_connect.get_client(dsn=...)`` call, so the
exporter, the collector, the CLI and the migrations never branch on the backend:

- ``chdb:///abs/dir`` — the embedded engine (chdb) keeping its data in that directory. It is the
  default, so a laptop needs no server. chdb serves ONE data directory per process at a time
  (opening a second path while clients of the first are open raises), and one process per
  directory: services should send OTLP to the collector, which owns the directory.
- ``http(s)://user:pass@host:8123[/db]`` — a ClickHouse server or ClickHouse Cloud.

Resolution, in one place: argument, else ``OTEL_EXPORTER_CLICKHOUSE_ENDPOINT``, else the embedded
default ``chdb://$XDG_DATA_HOME/otel-llm`` (``~/.local/share/otel-llm`` when XDG_DATA_HOME is
unset). Credentials, timeout and compression follow the same order with their own
``OTEL_EXPORTER_CLICKHOUSE_*`` variables; credentials written in the DSN apply when neither the
argument nor the variable is set.

A DSN may carry a password, so every log line shows ``redact_dsn(dsn)``, never the DSN itself.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from otel_llm import semconv
from otel_llm._env import env_choice, env_float, env_str

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = [
    "EMBEDDED_SCHEME",
    "StorePathError",
    "compression_option",
    "connect",
    "default_data_dir",
    "dictionary_credentials",
    "redact_dsn",
    "resolve_dsn",
]

_log = logging.getLogger(__name__)

EMBEDDED_SCHEME = "chdb"
_SERVER_SCHEMES = ("http", "https")
_SECRET_QUERY_KEYS = {"password", "access_token"}
_REDACTED = "***"
_COMPRESSIONS = ("auto", "none", "lz4", "zstd", "gzip", "br")
_DEFAULT_USER = "default"  # ClickHouse's user when a connection names none


class StorePathError(ValueError):
    """The embedded store's directory cannot be created or written; the message names it (an
    app's exporter logs it, the CLI prints it as its one line)."""


def default_data_dir() -> Path:
    """The embedded store's directory: per user, outside any project, like other tools' data."""
    base = env_str("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "otel-llm"


def resolve_dsn(dsn: str | None = None) -> str:
    """The DSN to use: argument, else the endpoint variable, else the embedded default directory.

    An unsupported scheme raises ``ValueError`` even when it comes from the environment: falling
    back to the embedded store would silently write the user's data somewhere they did not ask.
    """
    source = "argument"
    if not dsn:
        dsn = env_str(semconv.ENV_CLICKHOUSE_ENDPOINT)
        source = semconv.ENV_CLICKHOUSE_ENDPOINT
    if not dsn:
        return f"{EMBEDDED_SCHEME}://{default_data_dir()}"
    parts = urlsplit(dsn)
    scheme = parts.scheme.lower()
    if scheme not in (EMBEDDED_SCHEME, *_SERVER_SCHEMES):
        raise ValueError(
            f"Unsupported ClickHouse DSN {redact_dsn(dsn)!r} from {source}: "
            "expected chdb:///dir, http://host:8123 or https://host:8443"
        )
    if scheme == EMBEDDED_SCHEME and parts.netloc:
        # chdb://data/otel: a relative directory (the URL's "host" is its first segment), resolved
        # against the current directory here, once, so every later open means the same place.
        path = os.path.abspath(os.path.expanduser(parts.netloc + parts.path))
        return f"{parts.scheme}://{path}" + (f"?{parts.query}" if parts.query else "")
    return dsn


def redact_dsn(dsn: str) -> str:
    """The DSN with its password (userinfo or query parameter) replaced, safe for logs and errors."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return _REDACTED
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if parts.password is None and not any(k.lower() in _SECRET_QUERY_KEYS for k, _ in pairs):
        return dsn  # nothing secret; also keeps "chdb:///dir" intact (urlunsplit would drop the //)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}:{_REDACTED}@{hostport}"
    query = urlencode([(k, _REDACTED if k.lower() in _SECRET_QUERY_KEYS else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def connect(
    dsn: str | None = None,
    *,
    database: str | None = None,
    username: str | None = None,
    password: str | None = None,
    timeout_s: float | None = None,
    compression: str | None = None,
) -> Client:
    """A clickhouse-connect client for the resolved DSN, embedded or server, through one call.

    ``database`` becomes the client's default database and must already exist (clickhouse-connect
    checks it); callers that create the schema connect without it and qualify table names.
    ``timeout_s`` (whole seconds, rounded up; default 10) and ``compression`` (auto, none, lz4,
    zstd, gzip, br) only mean something over HTTP: the embedded engine runs in this process, and
    passing HTTP options to it would only make clickhouse-connect warn.
    """
    resolved = resolve_dsn(dsn)
    embedded = urlsplit(resolved).scheme.lower() == EMBEDDED_SCHEME
    kwargs: dict[str, Any] = {"dsn": resolved}
    if database:
        kwargs["database"] = database
    if embedded:
        _ensure_data_dir(resolved)
    else:
        kwargs.update(_server_options(username, password, timeout_s, compression))
    extra = "embedded" if embedded else "clickhouse"
    try:
        import clickhouse_connect  # deferred: importing it (and chdb) is slow and optional

        _log.debug("Connecting to ClickHouse at %s", redact_dsn(resolved))
        return clickhouse_connect.get_client(**kwargs)
    except ImportError as exc:  # an app's exporter logs this: it must name our extra, not a driver's
        missing = _missing_module(exc)
        if missing is None:
            raise
        raise ModuleNotFoundError(f'{missing} is not installed: pip install "otel-llm[{extra}]"', name=missing) \
            from exc


def _missing_module(error: BaseException | None) -> str | None:
    """The module a failed import lacked; clickhouse-connect re-raises chdb's as its own ImportError."""
    while error is not None:
        if isinstance(error, ModuleNotFoundError) and error.name:
            return error.name
        error = error.__cause__ or error.__context__
    return None


def dictionary_credentials(
    dsn: str | None = None, *, username: str | None = None, password: str | None = None
) -> tuple[str, str] | None:
    """(user, password) for the price dictionary's source on a server store, resolved as ``connect`` does.

    A dictionary reads its source over a connection of its own, so it does not inherit the
    session's user: on a server whose ``default`` user has a password it must name one, or every
    insert fails in the llm_calls view. The store's own credentials are the natural choice.
    The embedded store, and a server reached with no credentials at all, need none.
    """
    parts = urlsplit(resolve_dsn(dsn))
    if parts.scheme.lower() == EMBEDDED_SCHEME:
        return None
    username = username or env_str(semconv.ENV_CLICKHOUSE_USERNAME) or unquote(parts.username or "")
    password = password or env_str(semconv.ENV_CLICKHOUSE_PASSWORD) or unquote(parts.password or "")
    if not username and not password:
        return None
    return username or _DEFAULT_USER, password  # a password alone logs in as ``default``, as in connect


def _server_options(
    username: str | None, password: str | None, timeout_s: float | None, compression: str | None
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    username = username or env_str(semconv.ENV_CLICKHOUSE_USERNAME)
    password = password or env_str(semconv.ENV_CLICKHOUSE_PASSWORD)
    if username:
        options["username"] = username
    if password:
        options["password"] = password
    if timeout_s is None:
        timeout_s = env_float(semconv.ENV_CLICKHOUSE_TIMEOUT, 10.0, minimum=0.001)
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
    # clickhouse-connect takes whole seconds (it truncates, and 0 is refused): round up.
    options["connect_timeout"] = options["send_receive_timeout"] = math.ceil(timeout_s)
    if compression is None:
        compression = env_choice(semconv.ENV_CLICKHOUSE_COMPRESSION, "auto", _COMPRESSIONS)
    options["compress"] = compression_option(compression)
    return options


def compression_option(value: str) -> bool | str:
    """``none`` turns compression off, ``auto`` lets clickhouse-connect choose, else a codec name."""
    lowered = value.strip().lower()
    if lowered not in _COMPRESSIONS:
        raise ValueError(f"Unsupported ClickHouse compression {value!r}: use one of {', '.join(_COMPRESSIONS)}")
    return {"none": False, "auto": True}.get(lowered, lowered)


def _ensure_data_dir(dsn: str) -> None:
    """chdb creates its own files but not missing parents, e.g. a fresh ~/.local/share. A directory
    that cannot be made or written (a file in the way, a read-only or virtual file system) is one
    StorePathError naming it, before chdb fails on it with a generic engine error."""
    path = urlsplit(dsn).path
    if not path or path in (":memory:", "memory"):
        return
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise StorePathError(
            f"the embedded store directory {path} cannot be created or written ({exc.strerror or exc}): "
            "choose a writable directory"
        ) from None
