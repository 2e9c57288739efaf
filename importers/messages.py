"""Problem texts as a code with named parameters, translated where they are shown.

A :class:`Rule` is one sentence the software can say, registered under a stable code with its
English template (``%(name)s`` placeholders, the form gettext takes). Calling it with the
parameters gives a :class:`Text`: the code, the parameters and the English sentence. The
English is what the command line, the API and stored reports carry; a page translates the code
with its own catalogue (the template is the msgid) and fills in the parameters, so a Thai page
never parses English after the fact.

Parameters are plain values, another ``Text`` (a clause inside a sentence, translated in turn),
an :func:`area` (an area code with its English name, which a page names in its language) or a
list (codes of the vocabulary, which a page names by their labels; English joins them with
commas).
This module imports neither Flask nor the registry: it only knows codes and English.

Examples
--------
>>> NOT_WHOLE = Rule("example.not_whole", "is not a whole number")
>>> NOT_WHOLE().english
'is not a whole number'
>>> ABOVE = Rule("example.above", "is more than %(limit)s")
>>> ABOVE(limit=5).as_dict()
{'code': 'example.above', 'params': {'limit': 5}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# code -> English template; every Rule adds itself. A page's catalogue must translate each.
RULES: dict[str, str] = {}


@dataclass(frozen=True)
class Text:
    """One sentence: its rule's code and the parameters that fill it in."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def english(self) -> str:
        template = RULES[self.code]
        if not self.params:
            return template
        return template % {name: english_value(value) for name, value in self.params.items()}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"code": ..., "params": {...}}`` with nested texts as dicts too."""
        return {"code": self.code, "params": {k: plain(v) for k, v in self.params.items()}}

    def __str__(self) -> str:
        return self.english


class Rule:
    """A sentence template under a code; ``rule(**params)`` makes a :class:`Text`."""

    def __init__(self, code: str, template: str) -> None:
        known = RULES.setdefault(code, template)
        if known != template:
            raise ValueError(f"message code {code!r} is already used for {known!r}")
        self.code = code
        self.template = template

    def __call__(self, **params: Any) -> Text:
        return Text(self.code, params)

    def __repr__(self) -> str:
        return f"Rule({self.code!r})"


def area(code: str | None, english: str) -> dict[str, Any]:
    """An area as a parameter: its code (a page names it in its language) and English name."""
    return {"area": code, "en": english}


def joined(parts: list[Any], rule: Rule) -> Any:
    """Parts as one parameter, each nested in the next through ``rule`` (``"a, b and c"``), so
    that a page translates every part and every joint; one part is itself.

    Examples
    --------
    >>> AND = Rule("example.and", "%(first)s and %(rest)s")
    >>> str(joined(["B", "D", "F"], AND))
    'B and D and F'
    """
    if len(parts) == 1:
        return parts[0]
    return rule(first=parts[0], rest=joined(parts[1:], rule))


def plain(value: Any) -> Any:
    """A parameter as JSON: texts become dicts, lists and tuples lists."""
    if isinstance(value, Text):
        return value.as_dict()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def english_value(value: Any) -> Any:
    """A parameter as the English sentence shows it (a list as ``"a, b, c"``)."""
    if isinstance(value, Text):
        return value.english
    if isinstance(value, (list, tuple)):
        return ", ".join(str(english_value(v)) for v in value)
    if isinstance(value, Mapping):
        if "code" in value and value.get("code") in RULES:
            return Text(value["code"], value.get("params") or {}).english
        if "area" in value:
            return value.get("en") or value["area"]
    return value


def text_of(value: Any) -> Text | None:
    """The Text an exception or a stored dict carries, if any."""
    if isinstance(value, Text):
        return value
    if isinstance(value, BaseException) and value.args and isinstance(value.args[0], Text):
        return value.args[0]
    if isinstance(value, Mapping) and value.get("code") in RULES:
        return Text(value["code"], value.get("params") or {})
    return None


class RuleError(ValueError):
    """A value broke a rule: raised by parsers, caught and reported with the row and column."""

    def __init__(self, text: Text) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text.english
