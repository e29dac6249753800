"""The shape of a request, without its content: keyed fingerprints, sizes and flags for the advisor.

``otel-llm advise`` finds repeated requests, repeated prefixes sent without prompt caching and
conversations that grow without bound. It needs to know which calls were the same, never what
they said, so every span carries (content capture stays off):

- a fingerprint of the whole request (model, messages, system, tools, parameters) and one of its
  stable prefix (model, system, tools and the messages before the first user turn), each a
  keyed BLAKE2b digest: identical requests match, and nothing can be read back or confirmed by
  someone guessing a prompt without the key;
- the prefix's estimated token count (bytes / 4: tiktoken took 65 µs for 2 KB of text here,
  several times the whole shape, and 1 ms for 50 KB; see benchmarks/instrumentation/RESULTS.md), the number of
  messages and tools, whether a max output length was set, the provider's cache controls used
  (``explicit`` markers such as Anthropic's ``cache_control`` blocks, ``automatic`` where the
  provider caches a long enough prefix by itself, e.g. OpenAI from 1024 tokens, else ``none``),
  and the conversation turn index (the number of user turns in the request, so it needs no state
  across calls or processes; tool results sent as user messages are not turns).

The key: ``OTEL_LLM_FINGERPRINT_KEY`` when set (give every host of a fleet the same value so their
fingerprints match), else a random key created once per installation in
``$XDG_DATA_HOME/otel-llm-fingerprint.key`` (``~/.local/share``), readable by the user only. When
that file cannot be read or written, a random key for this process is used and logged once: the
app never breaks, and fingerprints then match only within the process.

How it hashes: the parts are encoded by ``marshal`` (C, format version 2: no object references
and no interning flags, so equal requests give equal bytes whoever built them), each part once
(the prefix parts, then the rest), into ONE incremental keyed BLAKE2b whose state is copied at
the prefix boundary; nothing is encoded twice. The cost is in the number of objects, not the
bytes: a walk in Python cost about 1.5 µs per message, the JSON encoder about 0.6, marshal
about 0.2. A request holding objects marshal does not know (SDK models given back, enums) is
first turned into plain dicts and lists. Dict key order is kept, as the SDK sends it. Transport
settings (headers, timeouts, ``stream``) and per-user labels (``user``, ``metadata``) are left
out: they do not change the answer. Explicit cache markers are found in the same bytes, as a
string equal to the marker's name (a key, or, rarely, a value spelled exactly so).

An SDK package describes its request with one :class:`RequestParts` passed to
``Telemetry.start_call(request=...)``; the lifecycle adds :func:`shape_attributes` to the span.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import marshal
import os
import secrets
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from otel_llm import semconv
from otel_llm._env import env_str

__all__ = ["AUTOMATIC_CACHE_MIN_TOKENS", "RequestParts", "installation_key", "shape_attributes"]

_log = logging.getLogger(__name__)

_KEY_FILE = "otel-llm-fingerprint.key"
_KEY_BYTES = 32
_DIGEST_BYTES = 16
_BYTES_PER_TOKEN = 4
# Parameters that do not change the answer: transport, and labels of who asked.
_NOT_HASHED = frozenset(
    ["extra_headers", "extra_query", "timeout", "stream", "stream_options", "user", "metadata",
     "safety_identifier", "prompt_cache_key", "store"]
)
# The SDKs' "argument not given" sentinels (openai/anthropic NotGiven, Omit): the same as absent.
_SENTINEL_TYPES = frozenset(["NotGiven", "Omit"])
_EXPLICIT_CACHE_KEYS = frozenset(["cache_control"])
# Providers that cache a long enough prompt prefix without being asked, from this many tokens.
AUTOMATIC_CACHE_MIN_TOKENS: Mapping[str, int] = {
    semconv.PROVIDER_OPENAI: 1024,
    semconv.PROVIDER_AZURE_OPENAI: 1024,
}


class RequestParts(NamedTuple):
    """One request as an SDK package sees it; every part is the object the SDK was given.

    ``messages``: the conversation, each item with a ``role`` (dict or SDK model). ``system``:
    instructions passed beside the messages (Anthropic ``system``, Gemini ``system_instruction``).
    ``params``: every other argument sent (hashed except transport and labels; the parts above
    may be in it too, they are skipped). ``cache_keys``: the dict keys that mark an explicit cache
    breakpoint in this provider's format. ``automatic_cache_min_tokens``: the prefix size from
    which the provider caches by itself (None: it never does). A NamedTuple: built on every call,
    and cheaper to build than a frozen dataclass.
    """

    model: object
    messages: Sequence[Any] | None = None
    system: object = None
    tools: Sequence[Any] | None = None
    params: Mapping[str, Any] = MappingProxyType({})
    max_tokens_set: bool = False
    cache_keys: frozenset[str] = _EXPLICIT_CACHE_KEYS
    automatic_cache_min_tokens: int | None = None
    user_role: str = "user"
    tool_result_types: Collection[str] = ("tool_result",)
    part_keys: tuple[str, ...] = ("messages", "system", "tools", "model")


def _data_dir() -> Path:
    return Path(env_str("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share"))


def installation_key() -> bytes:
    """The fingerprint key: from the environment, else this installation's file, else per process."""
    configured = env_str(semconv.ENV_FINGERPRINT_KEY)
    if configured:
        return hashlib.blake2b(configured.encode(), digest_size=_KEY_BYTES).digest()
    path = _data_dir() / _KEY_FILE
    try:
        return _read_or_create(path)
    except OSError as exc:
        _log.warning(
            "otel-llm: cannot keep a request fingerprint key in %s (%s); using one for this process only, "
            "so fingerprints match only within it. Set %s to fix.",
            path, exc.strerror or exc, semconv.ENV_FINGERPRINT_KEY,
        )
        return secrets.token_bytes(_KEY_BYTES)


def _read_or_create(path: Path) -> bytes:
    try:
        key = path.read_bytes()
        if len(key) == _KEY_BYTES:
            return key
        raise OSError(0, f"{path} is not a {_KEY_BYTES}-byte key; delete it to make a new one")
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(_KEY_BYTES)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process created the key first: then use theirs
    except FileExistsError:
        key = path.read_bytes()
    finally:
        tmp.unlink()
    return key


_MARSHAL_VERSION = 2  # version 3 added references and interning flags: identity, not value


def _plain(obj: Any) -> Any:
    """The request part as plain dicts, lists and scalars, for the rare request marshal refuses."""
    kind = type(obj)
    if kind in (str, int, float, bool, bytes) or obj is None:
        return obj
    if isinstance(obj, type):  # a class (parse(response_format=Model)): its name, not its namespace
        return f"<{obj.__module__}.{obj.__qualname__}>"
    if kind is dict or isinstance(obj, Mapping):
        return {_plain(k): _plain(v) for k, v in obj.items()}
    if kind is list:
        return [_plain(item) for item in obj]
    if kind is tuple:  # kept a tuple: marshal tells the two apart, and the parts are tuples
        return tuple(_plain(item) for item in obj)
    fields = getattr(obj, "__dict__", None)
    if hasattr(obj, "__pydantic_fields_set__") and fields is not None:  # an SDK model given back
        return {k: _plain(v) for k, v in fields.items() if v is not None}
    if isinstance(obj, (Sequence, set, frozenset)) and not isinstance(obj, (str, bytes)):
        return [_plain(item) for item in obj]
    # A str, int or float subclass (StrEnum, IntEnum) is its plain value; another enum its value.
    if isinstance(obj, str):
        return str.__str__(obj)
    if isinstance(obj, (int, float)):
        return float(obj) if isinstance(obj, float) else int(obj)
    value = getattr(obj, "value", None)
    if isinstance(value, (str, int, float)):
        return value
    # A sentinel, a function: its type's name, never an address.
    return f"<{kind.__qualname__}>"


def _encode(obj: Any) -> bytes:
    try:
        return marshal.dumps(obj, _MARSHAL_VERSION)
    except ValueError:  # "unmarshallable object" somewhere inside
        return marshal.dumps(_plain(obj), _MARSHAL_VERSION)


@functools.lru_cache(maxsize=64)
def _marker(name: str) -> bytes:
    """How marshal writes the string ``name`` (type code, 4-byte length, UTF-8)."""
    return marshal.dumps(name, _MARSHAL_VERSION)


def _get(obj: Any, name: str) -> Any:
    if type(obj) is dict:
        return obj.get(name)
    fields = getattr(obj, "__dict__", None)
    return fields.get(name) if fields is not None else None


def _turns(messages: Sequence[Any], user_role: str, tool_result_types: Collection[str]) -> tuple[int, int]:
    """(user turns, index of the first): user messages, except those that only carry tool results
    back (an agent step, not a turn). Inlined for dicts, the usual message: this runs on every call."""
    turns, first = 0, len(messages)
    for index, message in enumerate(messages):
        if type(message) is dict:
            if message.get("role") != user_role:
                continue
            content = message.get("content")
        else:
            if _get(message, "role") != user_role:
                continue
            content = _get(message, "content")
        if type(content) is list and content and all(_get(b, "type") in tool_result_types for b in content):
            continue
        if not turns:
            first = index
        turns += 1
    return turns, first


def _sequence(value: object) -> Sequence[Any]:
    return value if isinstance(value, (list, tuple)) else ()


def shape_attributes(key: bytes, parts: RequestParts) -> dict[str, Any]:
    """The span attributes of one request's shape (see the module docstring)."""
    messages, tools = _sequence(parts.messages), _sequence(parts.tools)
    turns, first_turn = _turns(messages, parts.user_role, parts.tool_result_types)
    hasher = hashlib.blake2b(_encode(parts.model), key=key, digest_size=_DIGEST_BYTES)
    attrs: dict[str, Any] = {
        semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT: len(messages),
        semconv.OTEL_LLM_REQUEST_TOOL_COUNT: len(tools),
        semconv.OTEL_LLM_REQUEST_MAX_TOKENS_SET: parts.max_tokens_set,
        semconv.OTEL_LLM_REQUEST_TURN_INDEX: turns,
    }
    prefix_tokens = 0
    texts: list[bytes] = []
    if parts.system is not None or tools or first_turn:
        # Bytes, not characters, and 5 bytes of framing per string: close to the tokens of the
        # prompt's own punctuation, and about right for text outside ASCII (3 bytes, ~1 token).
        prefix = _encode((parts.system, tools, messages[:first_turn]))
        texts.append(prefix)
        hasher.update(prefix)
        prefix_tokens = len(prefix) // _BYTES_PER_TOKEN
        attrs[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT] = hasher.copy().hexdigest()
        attrs[semconv.OTEL_LLM_REQUEST_PREFIX_TOKENS] = prefix_tokens
    params = parts.params
    skipped = parts.part_keys
    hashed = {
        name: params[name]
        for name in sorted(params)
        if name not in _NOT_HASHED and name not in skipped and type(params[name]).__name__ not in _SENTINEL_TYPES
    }
    rest = _encode((messages[first_turn:], hashed))
    texts.append(rest)
    hasher.update(rest)
    attrs[semconv.OTEL_LLM_REQUEST_FINGERPRINT] = hasher.hexdigest()
    explicit = any(_marker(marker) in text for marker in parts.cache_keys for text in texts) or not (
        parts.cache_keys.isdisjoint(params)
    )
    attrs[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] = _cache_control(explicit, prefix_tokens, parts)
    return attrs


def _cache_control(explicit: bool, prefix_tokens: int, parts: RequestParts) -> str:
    if explicit:
        return semconv.CACHE_CONTROL_EXPLICIT
    minimum = parts.automatic_cache_min_tokens
    if minimum is not None and prefix_tokens >= minimum:
        return semconv.CACHE_CONTROL_AUTOMATIC
    return semconv.CACHE_CONTROL_NONE
