"""Feature, end-user and session tags for the LLM calls made inside a block of code.

Tags live in a ``contextvars.ContextVar``, so they follow threads started with a copied context
and every asyncio task, with no global state to reset. A tag set in an upstream service travels
as W3C baggage; when no local tag is set the baggage keys in :mod:`otel_llm.semconv` are read,
so the downstream LLM span is attributed to the same feature and user.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar, cast

from opentelemetry import baggage

from otel_llm import semconv
from otel_llm._env import env_reader

__all__ = ["current_tag_attributes", "tag"]

_F = TypeVar("_F", bound=Callable[..., Any])
_EMPTY: Mapping[str, str] = MappingProxyType({})
_tags: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("otel_llm_tags", default=_EMPTY)
# Read on every call, so a changed variable applies to the next call.
_default_feature = env_reader(semconv.ENV_DEFAULT_FEATURE)


def _attributes_for(
    feature: str | None, user_id: str | None, session_id: str | None, extra: Mapping[str, Any]
) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if feature is not None:
        attrs[semconv.OTEL_LLM_FEATURE] = str(feature)
    if user_id is not None:
        attrs[semconv.ENDUSER_ID] = str(user_id)
        attrs[semconv.USER_ID] = str(user_id)
    if session_id is not None:
        attrs[semconv.SESSION_ID] = str(session_id)
    for key, value in extra.items():
        attrs[semconv.OTEL_LLM_TAG_PREFIX + key] = str(value)
    return attrs


class tag:
    """Attribute every LLM call in a block to a feature, an end user and a session.

    A context manager and a decorator (sync and async functions alike); nested tags override
    only the keys they set. ``attrs`` become ``otel_llm.tag.<key>`` attributes. Each decorated
    call enters a fresh context, so one decorated function may run in many threads and tasks.
    """

    def __init__(
        self,
        feature: str | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        **attrs: Any,
    ) -> None:
        self._attrs = _attributes_for(feature, user_id, session_id, attrs)
        self._tokens: list[contextvars.Token[Mapping[str, str]]] = []

    def __enter__(self) -> tag:
        self._tokens.append(_tags.set(MappingProxyType({**_tags.get(), **self._attrs})))
        return self

    def __exit__(self, *exc_info: object) -> None:
        _tags.reset(self._tokens.pop())

    def _fresh(self) -> tag:
        clone = tag.__new__(tag)
        clone._attrs = self._attrs
        clone._tokens = []
        return clone

    def __call__(self, func: _F) -> _F:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_tagged(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    return await func(*args, **kwargs)

            return cast(_F, async_tagged)

        @functools.wraps(func)
        def tagged(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return cast(_F, tagged)


def _baggage_attributes() -> dict[str, str]:
    entries = baggage.get_all()
    if not entries:
        return {}
    return _attributes_for(
        entries.get(semconv.BAGGAGE_FEATURE),
        entries.get(semconv.BAGGAGE_USER_ID),
        entries.get(semconv.BAGGAGE_SESSION_ID),
        {},
    )


def current_tag_attributes(workflow_feature: str | None = None) -> Mapping[str, str]:
    """The span attributes for the current context: local tags over baggage over
    ``workflow_feature`` (the feature a framework's model scope names, e.g. a LangGraph node with
    ``OTEL_LLM_FEATURE_FROM_WORKFLOW`` on) over the default feature: the app's own tag always wins,
    and ``OTEL_LLM_DEFAULT_FEATURE`` only names what nothing else named."""
    local = _tags.get()
    upstream = _baggage_attributes()
    if not upstream:  # the usual case: no copy unless a default feature is added
        if semconv.OTEL_LLM_FEATURE in local:
            return local
        feature = workflow_feature or _default_feature()
        return {**local, semconv.OTEL_LLM_FEATURE: feature} if feature else local
    attrs = {**upstream, **local}
    if semconv.OTEL_LLM_FEATURE not in attrs:
        feature = workflow_feature or _default_feature()
        if feature:
            attrs[semconv.OTEL_LLM_FEATURE] = feature
    return attrs
