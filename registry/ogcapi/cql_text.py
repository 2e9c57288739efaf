"""CQL2 text parsing: pygeofilter's grammar with the gaps valid CQL2 fell into closed.

pygeofilter 0.4 refuses three forms CQL2 text (OGC 21-065) allows: a quote doubled inside
a string ('Queen''s'), NOT before a parenthesised or negated condition (NOT (NOT (a = 1)))
and TRUE or FALSE as a whole condition. Its grammar is read and those rules rewritten here;
each rewrite must apply exactly once, so a pygeofilter whose grammar changed fails at import
rather than parsing differently.

A bare TRUE and the TRUE of ``a = TRUE`` are one token to an LALR parser, and ``(TRUE)``
could be either, so the tokens are told apart before parsing: TRUE or FALSE where a
condition starts (first, or after AND, OR, NOT or a bracket that opens a condition) is one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pygeofilter.ast as ast
from lark import Lark, Token, v_args
from pygeofilter.parsers.cql2_text import parser as pygeofilter_text

_GRAMMAR = Path(pygeofilter_text.__file__).with_name("grammar.lark")
_REWRITES = (
    # NOT of any condition, parenthesised or negated, not only of a bare predicate.
    (
        r'\|\s*"NOT"i predicate\s*-> not_\s*\|\s*"NOT"i "\(" predicate "\)"\s*-> not_',
        '| "NOT"i condition_1 -> not_',
    ),
    # TRUE and FALSE are conditions (CQL2 booleanLiteral), told apart by _BooleanConditions.
    (
        r'(\|\s*"INCLUDE"i\s*-> include)',
        r"\1\n          | BOOLEAN_CONDITION -> boolean_condition",
    ),
    (r"(BOOLEAN\.2: .*\n)", r"\1%declare BOOLEAN_CONDITION\n"),
    # A string runs to the quote that is not doubled.
    (r"SINGLE_QUOTED: \"'\" /\.\*\?/ \"'\"", "SINGLE_QUOTED: /'(?:[^']|'')*'/"),
)


def _grammar() -> str:
    text = _GRAMMAR.read_text(encoding="utf-8")
    for pattern, replacement in _REWRITES:
        text, count = re.subn(pattern, replacement, text)
        if count != 1:
            raise RuntimeError(f"pygeofilter's CQL2 grammar has changed: {pattern!r}")
    return text


_STARTS_CONDITION = {"AND", "OR", "NOT"}


class _BooleanConditions:
    """Renames the TRUE and FALSE tokens that stand where a condition starts."""

    always_accept = ()

    def process(self, stream):
        previous = None
        condition_brackets: list[bool] = []  # per open bracket: does it open a condition?
        for token in stream:
            text = token.value.upper() if isinstance(token.value, str) else ""
            starts = previous is None or previous in _STARTS_CONDITION
            if previous == "(":
                starts = bool(condition_brackets and condition_brackets[-1])
            if token.type == "BOOLEAN" and starts:
                token = Token.new_borrow_pos("BOOLEAN_CONDITION", token.value, token)
            elif text == "(":
                condition_brackets.append(starts)
            elif text == ")" and condition_brackets:
                condition_brackets.pop()
            previous = text
            yield token


@v_args(meta=False, inline=True)
class _Transformer(pygeofilter_text.CQLTransformer):
    def boolean_condition(self, token) -> ast.Include:
        return ast.Include(not_=token.upper() == "FALSE")

    def SINGLE_QUOTED(self, token) -> str:  # named after the terminal, as lark calls it
        return token[1:-1].replace("''", "'")


_PARSER = Lark(
    _grammar(),
    parser="lalr",
    maybe_placeholders=False,
    transformer=_Transformer(),
    postlex=_BooleanConditions(),
    source_path=str(_GRAMMAR),
    import_paths=[str(_GRAMMAR.parent.parent)],
)


def parse(text: str) -> ast.Node:
    """The syntax tree of a CQL2 text filter (lark's UnexpectedInput when it is not one)."""
    return _PARSER.parse(text)
