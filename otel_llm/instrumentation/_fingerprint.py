"""The shape of a request, without its content: keyed fingerprints, sizes and flags for the advisor.

``otel-llm advise`` finds repeated requests, repeated prefixes sent without prompt caching and
conversations that grow without bound. It needs to know which calls were the same, never what
they said, so every span carries (content capture stays off):

- a fingerprint of the whole request (model, messages, system, tools, parameters) and one of its
  stable prefix (model, system, tools and the messages before the first user turn), each a
  keyed hash: identical requests match, and nothing can be read back or confirmed by someone
  guessing a prompt without the key;
- the prefix's token count, the number of messages and tools, whether a max output length was
  set, the provider's cache controls used (``explicit`` markers such as Anthropic's
  ``cache_control`` blocks, ``automatic`` where the provider caches a prefix that long by itself,
  e.g. OpenAI from 1024 tokens, else ``none``), and the conversation turn index (the number of
  user turns in the request, so it needs no state across calls or processes; tool results sent
  as user messages are not turns).

The prefix's tokens: a tokenizer is out of the question on every call (tiktoken took 65 µs for
2 KB, several times the whole shape, and the provider's tokenizer may not be public), and
``bytes / 4`` was 1.2 to 1.6 times tiktoken's count on the benchmark's prompts, an error that
would go straight into the advisor's dollars. So the span starts with ``bytes / 4`` and, once the
response reports the input tokens, the lifecycle replaces it with the prefix's share of the
encoded request times that count (:meth:`RequestShape.with_usage`): the provider's own tokenizer,
within a few percent (benchmarks/advise/RESULTS.md). The cache control is decided again from it.

The key: ``OTEL_LLM_FINGERPRINT_KEY`` when set (give every host of a fleet the same value so their
fingerprints match), else a random key created once per installation in
``$XDG_DATA_HOME/otel-llm-fingerprint.key`` (``~/.local/share``), readable by the user only. When
that file cannot be read or written, a random key for this process is used and logged once: the
app never breaks, and fingerprints then match only within the process.

How it hashes: the parts are encoded by ``marshal`` (C, format version 2: no object references
and no interning flags, so equal requests give equal bytes whoever built them), each part once
(the model and the prefix parts, then the rest), into ONE incremental SHA-256 whose state is
copied at the prefix boundary; nothing is encoded twice. The key is SHA-256's first block,
absorbed once per key (each call copies that state), and the digest is cut to 128 bits, which
also leaves no length extension to a forger; SHA-256 ran twice as fast as keyed BLAKE2b here
(hardware SHA instructions, as most current x86 and ARM CPUs have). The cost is in the number of
objects more than the bytes: a walk in Python cost about 1.5 µs per message, the JSON encoder
about 0.6, marshal about 0.2; the roles are read in one comprehension and counted in C. A
request holding objects marshal does not know (SDK models given back, enums) is first turned
into plain dicts and lists, where an argument "not given" (the SDKs' sentinels) is dropped. Dict
key order is kept, as the SDK sends it; parameters are hashed in name order. Transport settings
(headers, timeouts, ``stream``) and per-user labels (``user``, ``metadata``) are left out: they
do not change the answer. Explicit cache markers are found in the same bytes, as a string equal
to the marker's name (a key, or, rarely, a value spelled exactly so), for providers that take
markers.

An SDK package describes its request with one :class:`RequestParts` passed to
``Telemetry.start_call(request=...)``; the lifecycle adds :func:`request_shape` to the span.
"""

from __future__ import annotations

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

__all__ = [
    "AUTOMATIC_CACHE_MIN_TOKENS",
    "NO_SHAPE",
    "RequestLayout",
    "RequestParts",
    "RequestShape",
    "chat_request_parts",
    "installation_key",
    "make_parts",
    "request_shape",
]

_log = logging.getLogger(__name__)

_KEY_FILE = "otel-llm-fingerprint.key"
_KEY_BYTES = 32
_BLOCK_BYTES = 64  # SHA-256's block: the key fills the first one
_HEX_DIGITS = 32  # 128 bits of the 256: enough to tell requests apart, and no length extension
_BYTES_PER_TOKEN = 4
# Parameters that do not change the answer: transport, and labels of who asked.
_NOT_HASHED = frozenset(
    ["extra_headers", "extra_query", "timeout", "stream", "stream_options", "user", "metadata",
     "safety_identifier", "prompt_cache_key", "store"]
)
# The SDKs' "argument not given" sentinels (openai/anthropic NotGiven, Omit): the same as absent.
# marshal refuses them, so they are dropped on the slow path (``_plain``) and cost nothing else.
_SENTINEL_TYPES = frozenset(["NotGiven", "Omit"])
_EXPLICIT_CACHE_KEYS = frozenset(["cache_control"])
# Providers that cache a long enough prompt prefix without being asked, from this many tokens.
AUTOMATIC_CACHE_MIN_TOKENS: Mapping[str, int] = {
    semconv.PROVIDER_OPENAI: 1024,
    semconv.PROVIDER_AZURE_OPENAI: 1024,
}


class RequestLayout(NamedTuple):
    """How an SDK lays out its requests: the same on every call, so built once per SDK (or host).

    ``cache_keys``: the dict keys that mark an explicit cache breakpoint in this provider's
    format. ``automatic_cache_min_tokens``: the prefix size from which the provider caches by
    itself (None: it never does). ``tool_result_types``: the content block types that carry tool
    results back in a user message (empty: the provider has a role for them, and user messages
    need not be looked into), matched as a block's ``type`` or as a key it has; ``content_key``:
    where a message holds its blocks (Gemini: ``parts``). ``part_keys``: the parameters not hashed
    as parameters (hashed as a part of :class:`RequestParts`, or not part of the request).
    """

    cache_keys: frozenset[str] = _EXPLICIT_CACHE_KEYS
    automatic_cache_min_tokens: int | None = None
    user_role: str = "user"
    tool_result_types: frozenset[str] = frozenset(["tool_result"])
    part_keys: tuple[str, ...] = ("messages", "system", "tools", "model")
    content_key: str = "content"


class RequestParts(NamedTuple):
    """One request as an SDK package sees it; every part is the object the SDK was given.

    ``messages``: the conversation, each item with a ``role`` (dict or SDK model). ``system``:
    instructions passed beside the messages (Anthropic ``system``, Gemini ``system_instruction``).
    ``params``: every other argument sent (hashed except transport and labels; the parts above
    may be in it too, they are skipped). ``layout``: the SDK's :class:`RequestLayout`.
    A NamedTuple: built on every call, and cheaper to build than a frozen dataclass; an SDK
    package builds it with :func:`make_parts`.
    """

    model: object
    messages: Sequence[Any] | None = None
    system: object = None
    tools: Sequence[Any] | None = None
    params: Mapping[str, Any] = MappingProxyType({})
    max_tokens_set: bool = False
    layout: RequestLayout = RequestLayout()


_new_tuple = tuple.__new__


def make_parts(
    model: object, messages: Sequence[Any] | None, system: object, tools: Sequence[Any] | None,
    params: Mapping[str, Any], max_tokens_set: bool, layout: RequestLayout,
) -> RequestParts:
    """The request's parts: one tuple built in C. Building the NamedTuple with seven keywords, as
    readable as it is, cost about 0.7 µs of every call's few microseconds."""
    return _new_tuple(RequestParts, (model, messages, system, tools, params, max_tokens_set, layout))


_MAX_TOKENS_KEYS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
_CHAT_LAYOUT = RequestLayout(
    cache_keys=frozenset(), tool_result_types=frozenset(), part_keys=("messages", "tools", "model")
)


def chat_request_parts(kwargs: Mapping[str, Any]) -> RequestParts:
    """The parts of an OpenAI-style chat request (Groq, Mistral, Cohere v2): ``messages`` with
    roles (tool results in a role of their own), ``tools``, every other argument a parameter. These
    providers take no cache markers; a request without ``messages`` (embeddings) is its parameters."""
    messages, tools = kwargs.get("messages"), kwargs.get("tools")
    return make_parts(
        kwargs.get("model"),
        messages if isinstance(messages, (list, tuple)) else None,
        None,
        tools if isinstance(tools, (list, tuple)) else None,
        kwargs,
        any(_given(kwargs.get(name)) for name in _MAX_TOKENS_KEYS),
        _CHAT_LAYOUT,
    )


def _given(value: object) -> bool:
    return value is not None and type(value).__name__ not in _SENTINEL_TYPES


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
    if kind is dict or isinstance(obj, Mapping):  # an argument "not given" is as if absent
        return {_plain(k): _plain(v) for k, v in obj.items() if type(v).__name__ not in _SENTINEL_TYPES}
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


def _get(obj: Any, name: str) -> Any:
    if type(obj) is dict:
        return obj.get(name)
    fields = getattr(obj, "__dict__", None)
    return fields.get(name) if fields is not None else None


def _is_tool_result(block: Any, tool_result_types: frozenset[str]) -> bool:
    """A content block that carries a tool result: typed so (Anthropic ``{"type": "tool_result"}``)
    or keyed so (Bedrock Converse ``{"toolResult": ...}``, a Gemini part's ``function_response``).
    Runs once per user message (on its first block, almost always the last): one lookup of the fields."""
    fields = block if type(block) is dict else getattr(block, "__dict__", None)
    if fields is None:  # a string block, or an object that is no block
        return False
    kind = fields.get("type")
    if type(kind) is str and kind in tool_result_types:
        return True
    if tool_result_types.isdisjoint(fields):  # the usual case, in C: no key names a tool result
        return False
    return any(fields.get(name) is not None for name in tool_result_types)


def _turns(
    messages: Sequence[Any], user_role: str, tool_result_types: Collection[str], content_key: str = "content"
) -> tuple[int, int]:
    """(user turns, index of the first): user messages, except those that only carry tool results
    back (an agent step, not a turn). This runs on every call, over every message: the roles are
    counted in C, and only a provider that sends tool results as user messages (Anthropic,
    Bedrock, Gemini) has its user messages' blocks (under ``content_key``) looked into."""
    try:  # each message's role, in one comprehension when they are all dicts (or other mappings)
        roles = [message.get("role") for message in messages]
    except (AttributeError, TypeError):  # an SDK model, or a message that is no message at all
        roles = [_get(message, "role") for message in messages]
    turns = roles.count(user_role)
    if not turns:
        return 0, len(messages)
    if not tool_result_types:
        return turns, roles.index(user_role)
    kinds = tool_result_types if type(tool_result_types) is frozenset else frozenset(tool_result_types)
    turns, first = 0, len(messages)
    for index, role in enumerate(roles):
        if role != user_role:
            continue
        message = messages[index]
        content = message.get(content_key) if type(message) is dict else _get(message, content_key)
        # The first block decides almost always: a question's first block is no tool result.
        if (type(content) is list and content and _is_tool_result(content[0], kinds)
                and all(_is_tool_result(b, kinds) for b in content)):
            continue
        if not turns:
            first = index
        turns += 1
    return turns, first


# Per-call constants, looked up in plain dicts (a dict lookup costs half an lru_cache call, and
# this runs on every LLM call); each holds a handful of entries (keys, SDK part layouts).
_HASHERS: dict[bytes, Any] = {}
_HASHED_NAMES: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[str, ...]] = {}
_LAYOUTS = 1024
_MARKERS: dict[frozenset[str], tuple[bytes, ...]] = {}


def _keyed_hasher(key: bytes) -> Any:
    """SHA-256 that has absorbed the key as its first block; each call copies it (no key setup)."""
    hasher = _HASHERS.get(key)
    if hasher is None:
        hasher = _HASHERS[key] = hashlib.sha256(hashlib.sha256(key).digest().ljust(_BLOCK_BYTES, b"\0"))
    return hasher


def _hashed_names(part_keys: tuple[str, ...], names: tuple[str, ...]) -> tuple[str, ...]:
    """The parameters hashed, in name order (call sites order keywords differently): all but
    transport, labels, and the parts hashed on their own. One sort per layout of a call site's
    arguments, not per call (a program has a few such layouts; the memo is cleared if it grows)."""
    hashed = _HASHED_NAMES.get((part_keys, names))
    if hashed is None:
        if len(_HASHED_NAMES) >= _LAYOUTS:
            _HASHED_NAMES.clear()
        skipped = _NOT_HASHED.union(part_keys)
        hashed = _HASHED_NAMES[(part_keys, names)] = tuple(sorted(n for n in names if n not in skipped))
    return hashed


def _markers(cache_keys: frozenset[str]) -> tuple[bytes, ...]:
    """How marshal writes each marker name (type code, 4-byte length, UTF-8)."""
    markers = _MARKERS.get(cache_keys)
    if markers is None:
        markers = _MARKERS[cache_keys] = tuple(marshal.dumps(name, _MARSHAL_VERSION) for name in cache_keys)
    return markers


class RequestShape(NamedTuple):
    """A request's shape: its span attributes, and what refines them once the usage is known.

    ``prefix_share`` is the prefix's share of the encoded request: with the provider's own count
    of the input it gives the prefix's tokens in the provider's tokenizer (:meth:`with_usage`).
    """

    attributes: dict[str, Any]
    prefix_share: float = 0.0
    explicit_cache: bool = False
    automatic_cache_min_tokens: int | None = None

    def with_usage(self, input_tokens: int) -> dict[str, Any]:
        """The prefix's tokens and cache control again, from the provider's count of the whole
        input (cache reads and writes included). The bytes alone (``bytes / 4``) were 1.2 to 1.6
        times tiktoken's count on the benchmark's prompts: that error would go into the dollars,
        and would mark a prefix OpenAI does not cache as cached automatically."""
        if not self.prefix_share:
            return {}
        tokens = round(self.prefix_share * input_tokens)
        return {
            semconv.OTEL_LLM_REQUEST_PREFIX_TOKENS: tokens,
            semconv.OTEL_LLM_REQUEST_CACHE_CONTROL: _cache_control(
                self.explicit_cache, tokens, self.automatic_cache_min_tokens
            ),
        }


NO_SHAPE = RequestShape({})


_MESSAGE_COUNT = semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT
_TOOL_COUNT = semconv.OTEL_LLM_REQUEST_TOOL_COUNT
_MAX_TOKENS_SET = semconv.OTEL_LLM_REQUEST_MAX_TOKENS_SET
_TURN_INDEX = semconv.OTEL_LLM_REQUEST_TURN_INDEX
_FINGERPRINT = semconv.OTEL_LLM_REQUEST_FINGERPRINT
_PREFIX_FINGERPRINT = semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT
_PREFIX_TOKENS = semconv.OTEL_LLM_REQUEST_PREFIX_TOKENS
_CACHE_CONTROL = semconv.OTEL_LLM_REQUEST_CACHE_CONTROL


def request_shape(key: bytes, parts: RequestParts) -> RequestShape:
    """The span attributes of one request's shape, and its prefix share (see the module docstring).

    Runs on every call: written as straight-line code over locals (each helper call, attribute
    lookup and generator here was a measurable part of the few microseconds it costs)."""
    model, messages, system, tools, params, max_tokens_set, layout = parts
    cache_keys, minimum, user_role, tool_result_types, part_keys, content_key = layout
    if not isinstance(messages, (list, tuple)):
        messages = ()
    if not isinstance(tools, (list, tuple)):
        tools = ()
    turns, first_turn = _turns(messages, user_role, tool_result_types, content_key)
    hasher = _keyed_hasher(key).copy()
    # The model first: a provider's cache is per model, so is a prefix.
    head = (model, system, tools, messages[:first_turn] if first_turn else ())
    try:
        prefix = marshal.dumps(head, _MARSHAL_VERSION)
    except ValueError:  # "unmarshallable object" somewhere inside
        prefix = marshal.dumps(_plain(head), _MARSHAL_VERSION)
    hasher.update(prefix)
    has_prefix = system is not None or tools or first_turn
    prefix_fingerprint = hasher.copy().hexdigest()[:_HEX_DIGITS] if has_prefix else None
    # A dict in name order, so the slow path drops the "not given" sentinels.
    names = _hashed_names(part_keys, tuple(params))
    tail = (messages[first_turn:] if first_turn else messages, {name: params[name] for name in names})
    try:
        rest = marshal.dumps(tail, _MARSHAL_VERSION)
    except ValueError:
        rest = marshal.dumps(_plain(tail), _MARSHAL_VERSION)
    hasher.update(rest)
    attrs: dict[str, Any] = {
        _MESSAGE_COUNT: len(messages),
        _TOOL_COUNT: len(tools),
        _MAX_TOKENS_SET: max_tokens_set,
        _TURN_INDEX: turns,
        _FINGERPRINT: hasher.hexdigest()[:_HEX_DIGITS],
    }
    prefix_tokens, share = 0, 0.0
    if prefix_fingerprint is not None:
        prefix_tokens = len(prefix) // _BYTES_PER_TOKEN
        share = len(prefix) / (len(prefix) + len(rest))
        attrs[_PREFIX_FINGERPRINT] = prefix_fingerprint
        attrs[_PREFIX_TOKENS] = prefix_tokens
    explicit = False
    if cache_keys:  # only providers that take markers: a scan of the bytes (about 0.4 ns a byte)
        for marker in _markers(cache_keys):
            if marker in prefix or marker in rest:
                explicit = True
                break
        else:
            explicit = not cache_keys.isdisjoint(params)
    attrs[_CACHE_CONTROL] = _cache_control(explicit, prefix_tokens, minimum)
    return _new_tuple(RequestShape, (attrs, share, explicit, minimum))


def _cache_control(explicit: bool, prefix_tokens: int, minimum: int | None) -> str:
    if explicit:
        return semconv.CACHE_CONTROL_EXPLICIT
    if minimum is not None and prefix_tokens >= minimum:
        return semconv.CACHE_CONTROL_AUTOMATIC
    return semconv.CACHE_CONTROL_NONE
