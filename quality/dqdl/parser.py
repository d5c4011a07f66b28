"""Recursive-descent parser for DQDL, following awslabs/dqdl ``DataQualityDefinitionLanguage.g4``.

Document: ``Metadata? DataSources? (DefaultLabels | constant)* (Rules Analyzers? | Analyzers)``.
A rule is ``RuleType parameter* condition? (where "sql")? (with key <cond>)* (labels=[...])?``;
rules combine with ``and``/``or`` (``and`` binds tighter) and parentheses, into composites of the
reference's canonical shape (see :meth:`Parser.composite`).
"""

from __future__ import annotations

import dataclasses
import re
from typing import TypeGuard, TypeVar

from quality.dqdl.ast import (
    Analyzer,
    BinaryOp,
    CompositeRule,
    Condition,
    Date,
    Duration,
    FunctionCall,
    Group,
    Keyword,
    Now,
    Number,
    NumericExpr,
    Operand,
    Parameter,
    Rule,
    Ruleset,
    Size,
    String,
    Tag,
    Time,
    Variable,
    VariableRef,
)
from quality.dqdl.errors import DQDLSyntaxError
from quality.dqdl.lexer import Lexer, Token
from quality.dqdl.rules import RULE_TYPES, RuleProblem, check_analyzer, check_rule, lookup

STRINGS = ("STRING", "DATE", "TIME")
COMPARISONS = ("=", "!", ">", ">=", "<", "<=", "BETWEEN", "NOT", "IN", "MATCHES")
KEYWORD_NAMES = ("NULL", "EMPTY", "WHITESPACES_ONLY")
NUMERIC_OPS = ("+", "-", "*", "/")
KIND_ORDER = ("number", "string", "date", "duration", "size")
KIND_NAMES = {"number": "a number", "string": "a string", "date": "a date", "duration": "a duration", "size": "a size"}
STRING_OPS = ("=", "!=", "in", "not in", "matches", "not matches")
METADATA_KEYS = ("Version",)
SOURCE_KEYS = ("Primary", "AdditionalDataSources")
MAX_LABELS = 10
RULE_END = (",", "]", ")", "AND", "OR", "EOF", "LABELS")
RESERVED = ("DURATION_UNIT", "SIZE_UNIT", "METADATA", "DATA_SOURCES", "DEFAULT_LABELS", "RULES", "ANALYZERS")
LOWERCASE_WORDS = ("between", "in", "not", "matches", "where", "with", "labels")
MAX_DEPTH = 50
_VARIABLE_IN_VALUE = re.compile(r"\$[a-zA-Z_][a-zA-Z0-9_.]*")
_INTEGER = re.compile(r"[0-9]+")
_Node = TypeVar("_Node", bound=Rule | CompositeRule)


def _describe(token: Token) -> str:
    if token.kind == "EOF":
        return "end of input"
    if token.kind in STRINGS:
        return f"string {token.text}"
    return repr(token.text)


def _unescape(raw: str) -> str:
    return re.sub(r'\\(["\\])', r"\1", raw)


class Parser:
    """Parses one DQDL document (or one rule) from text."""

    def __init__(self, text: str, source: str | None = None) -> None:
        self.lexer = Lexer(text, source)
        self.text = text
        self.tokens = self.lexer.tokens()
        self.pos = 0
        self.variables: dict[str, Variable] = {}
        self.default_labels: dict[str, str] = {}
        self.context: tuple[str, int, int] | None = None
        self.label_tokens: dict[int, Token] = {}
        self.continuations: list[str] = []
        self.closers: list[str] = ["','", "']'"]
        self.nesting = 0

    # --- token helpers --------------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def at(self, *kinds: str) -> bool:
        return self.tok.kind in kinds

    def advance(self) -> Token:
        token = self.tok
        if token.kind != "EOF":
            self.pos += 1
        return token

    def expect(self, kinds: str | tuple[str, ...], what: str) -> Token:
        if self.tok.kind not in ((kinds,) if isinstance(kinds, str) else kinds):
            raise self.unexpected([what])
        return self.advance()

    def unexpected(self, expected: list[str], hint: str | None = None) -> DQDLSyntaxError:
        wanted = expected[0] if len(expected) == 1 else "one of " + ", ".join(expected)
        return self.fail(f"unexpected {_describe(self.tok)}, expected {wanted}", self.tok, expected, hint)

    def fail(
        self, message: str, token: Token, expected: list[str] | None = None, hint: str | None = None
    ) -> DQDLSyntaxError:
        if self.context is not None:
            what, index, start = self.context
            end = max(token.end, self.tokens[self.pos - 1].end if self.pos else start)
            snippet = " ".join(self.text[start:end].split())
            if len(snippet) > 70:
                snippet = snippet[:69] + "…"
            message = f"{what} {index} (`{snippet}`): {message}" if snippet else f"{what} {index}: {message}"
        return DQDLSyntaxError(
            message,
            hint=hint,
            line=token.line,
            column=token.column,
            token=token.text,
            expected=expected or [],
            source=self.lexer.source,
            text=self.text,
        )

    def string_token(self, what: str = "a quoted string") -> Token:
        return self.expect(STRINGS, what)

    # --- document -------------------------------------------------------------------------------

    def parse_document(self) -> Ruleset:
        """Parse a whole ruleset document."""
        preamble = ["'Metadata'", "'DataSources'", "'DefaultLabels'", "a constant declaration"]
        metadata: dict[str, str | list[str]] = {}
        sources: dict[str, str | list[str]] = {}
        if self.at("METADATA"):
            metadata = self.parse_dictionary(METADATA_KEYS)
            preamble = preamble[1:]
        if self.at("DATA_SOURCES"):
            sources = self.parse_dictionary(SOURCE_KEYS)
            preamble = preamble[-2:]
        while self.at("DEFAULT_LABELS", "IDENT"):
            preamble = preamble[-2:]
            if self.at("IDENT"):
                self.parse_variable()
                continue
            if self.default_labels:
                raise self.fail("DefaultLabels given twice", self.tok)
            keyword = self.tok
            self.default_labels = self.parse_labels()
            self.check_label_count(self.default_labels, keyword)
        start = self.tok
        rules = self.parse_rules() if self.at("RULES") else None
        analyzers = self.parse_analyzers() if self.at("ANALYZERS") else None
        if rules is None and analyzers is None:
            raise self.unexpected([*preamble, "'Rules'", "'Analyzers'"])
        if not self.at("EOF"):
            raise self.unexpected(["'Analyzers'", "end of input"] if analyzers is None else ["end of input"])
        if not rules and not analyzers:
            raise self.fail("no rules or analyzers provided", start, ["at least one rule"])
        return Ruleset(
            rules=tuple(rules or ()),
            analyzers=tuple(analyzers or ()),
            metadata=metadata,
            data_sources=sources,
            variables=dict(self.variables),
            default_labels=dict(self.default_labels),
            source=self.lexer.source,
        )

    def parse_dictionary(self, allowed: tuple[str, ...]) -> dict[str, str | list[str]]:
        section = self.advance().text
        self.expect("=", "'='")
        self.expect("{", "'{'")
        out: dict[str, str | list[str]] = {}
        while True:
            key = self.string_token("a quoted key")
            name = key.text[1:-1]
            if name not in allowed:
                choices = ", ".join(f'"{a}"' for a in allowed)
                raise self.fail(f"unsupported key {key.text} in {section} (allowed: {choices})", key, list(allowed))
            self.expect(":", "':'")
            if self.at("["):
                self.advance()
                values = [self.string_token().text[1:-1]]
                while self.at(","):
                    self.advance()
                    values.append(self.string_token().text[1:-1])
                self.expect("]", "',' or ']'")
                out[name] = values
            else:
                out[name] = self.string_token("a quoted string or a list").text[1:-1]
            if isinstance(out[name], list) != (name == "AdditionalDataSources"):
                shape = "a list of aliases" if name == "AdditionalDataSources" else "a single quoted string"
                raise self.fail(f"{section} key {key.text} takes {shape}", key)
            if not self.at(","):
                break
            self.advance()
        self.expect("}", "',' or '}'")
        return out

    def parse_variable(self) -> None:
        name_tok = self.advance()
        name = name_tok.text
        if not self.at("="):
            raise self.unexpected(["'='"], hint='constants are declared as name = "value" before Rules')
        self.advance()
        if name.startswith((".", "_")):
            raise self.fail(f"constant name {name!r} cannot start with '.' or '_'", name_tok)
        if name in self.variables:
            raise self.fail(f"constant {name!r} is already defined", name_tok)
        value: String | Keyword | tuple[String | Keyword, ...]
        if self.at("["):
            self.advance()
            items = [self.constant_value()]
            while self.at(","):
                self.advance()
                items.append(self.constant_value())
            self.expect("]", "',' or ']'")
            value = tuple(items)
        else:
            value = self.constant_value()
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, String) and _VARIABLE_IN_VALUE.search(item.value):
                raise self.fail(f"nested constants are not supported in {name!r}", name_tok)
        self.variables[name] = Variable(name, value)

    def constant_value(self) -> String | Keyword:
        if self.at(*KEYWORD_NAMES):
            return Keyword(self.advance().kind)
        if self.at("$"):
            raise self.fail("nested constants are not supported", self.tok)
        token = self.string_token("a quoted string, NULL, EMPTY or WHITESPACES_ONLY")
        return String(_unescape(token.text[1:-1]), token.text[1:-1])

    def parse_labels(self) -> dict[str, str]:
        keyword = self.advance()
        self.expect("=", "'='")
        self.expect("[", "'['")
        labels: dict[str, str] = {}
        if self.at("]"):
            raise self.fail(f'{keyword.text} needs at least one "key"="value" label', self.tok, ['"key"="value"'])
        while True:
            key = self.string_token('a quoted label key, as in "team"="finance"')
            self.expect("=", "'='")
            value = self.string_token("a quoted label value")
            name = key.text[1:-1]
            if not name:
                raise self.fail("label key must not be empty", key)
            if len(name) > 128:
                raise self.fail(f"label key is {len(name)} characters long; the maximum is 128", key)
            if len(value.text) - 2 > 256:
                raise self.fail(f"label value is {len(value.text) - 2} characters long; the maximum is 256", value)
            if name in labels:
                raise self.fail(f"duplicate label key {key.text}", key)
            labels[name] = value.text[1:-1]
            if not self.at(","):
                break
            self.advance()
        self.expect("]", "',' or ']'")
        return labels

    def check_label_count(self, labels: dict[str, str], token: Token) -> None:
        if len(labels) > MAX_LABELS:
            raise self.fail(f"{len(labels)} labels apply here; at most {MAX_LABELS} are allowed per rule", token)

    # --- Rules and Analyzers sections ------------------------------------------------------------

    def parse_rules(self) -> list[Rule | CompositeRule]:
        self.advance()
        self.expect("=", "'='")
        self.expect("[", "'['")
        rules: list[Rule | CompositeRule] = []
        if self.at("]"):
            self.advance()
            return rules
        while True:
            rules.append(self.parse_entry(len(rules) + 1))
            if self.at("]"):
                break
            if not self.at(","):
                raise self.unexpected([*self.continuations, "','", "']'"])
            self.advance()
            if self.at("]"):
                raise self.fail("trailing ',' before ']'", self.tok, ["a rule type", "'('"])
        self.advance()
        self.context = None
        return rules

    def parse_entry(self, index: int) -> Rule | CompositeRule:
        """One top-level rule; labels may only annotate the whole entry."""
        self.context = ("rule", index, self.tok.start)
        self.label_tokens = {}
        node = self.parse_or(0)
        for child in node.rules if isinstance(node, CompositeRule) else ():
            self.reject_nested_labels(child)
        return node

    def parse_single(self) -> Rule | CompositeRule:
        """Parse text holding exactly one rule."""
        self.closers = ["end of input"]
        node = self.parse_entry(1)
        if not self.at("EOF"):
            raise self.unexpected([*self.continuations, "end of input"])
        return node

    def reject_nested_labels(self, node: Rule | CompositeRule) -> None:
        if id(node) in self.label_tokens:
            raise self.fail(
                "labels must annotate the whole composite rule, not one of its parts",
                self.label_tokens[id(node)],
                hint='wrap the composite in parentheses: (ruleA and ruleB) labels=["k"="v"]',
            )
        for child in node.rules if isinstance(node, CompositeRule) else ():
            self.reject_nested_labels(child)

    def parse_or(self, depth: int) -> Rule | CompositeRule:
        parts = [self.parse_and(depth)]
        while self.at("OR"):
            self.advance()
            parts.append(self.parse_and(depth))
        return parts[0] if len(parts) == 1 else self.composite("or", parts)

    def parse_and(self, depth: int) -> Rule | CompositeRule:
        parts = [self.parse_primary(depth)]
        while self.at("AND"):
            self.advance()
            parts.append(self.parse_primary(depth))
        return parts[0] if len(parts) == 1 else self.composite("and", parts)

    def composite(self, op: str, parts: list[Rule | CompositeRule]) -> CompositeRule:
        """Join ``parts`` with ``op`` in the reference's canonical shape.

        The reference builds binary, left-nested trees and prints a tree that uses one operator
        throughout as a flat chain, so ``((A) and (B)) and (C)`` and ``(A) and ((B) and (C))`` are
        both ``(A) AND (B) AND (C)``. Parts are merged likewise (a same-operator group in front
        splices in, a uniform front is flattened) so that a printed rule parses back to the same
        tree. Labelled groups are never merged: they are rejected once the rule is complete.
        """
        rules: list[Rule | CompositeRule] = []
        rest = list(parts)
        while rest:
            first = rest[0]
            if isinstance(first, Rule):
                rules.append(first)
            elif _mergeable(first, op) and first.is_uniform:
                rules.extend(first.leaves())
            else:
                break
            rest.pop(0)
        head = rest[0] if rest else None
        if not rules and head is not None and _mergeable(head, op):
            rules.extend(head.rules)
            rest.pop(0)
        return CompositeRule(op, tuple(rules + rest), labels=dict(self.default_labels))

    def parse_primary(self, depth: int) -> Rule | CompositeRule:
        if self.at("("):
            if depth >= MAX_DEPTH:
                raise self.fail(f"composite rule nested deeper than {MAX_DEPTH} levels", self.tok)
            self.advance()
            outer, self.closers = self.closers, ["')'"]
            node = self.parse_or(depth + 1)
            self.closers = outer
            if not self.at(")"):
                raise self.unexpected([*self.continuations, "')'"])
            self.advance()
            self.continuations = ["'labels'", "'and'", "'or'"]
            if self.at("LABELS"):
                node = self.attach_labels(node)
                self.continuations = ["'and'", "'or'"]
            return node
        if self.at("IDENT"):
            return self.parse_leaf()
        raise self.unexpected(["a rule type", "'('"])

    def attach_labels(self, node: _Node) -> _Node:
        keyword = self.tok
        if id(node) in self.label_tokens:
            raise self.fail("labels given twice for the same rule", keyword)
        labels = self.parse_labels()
        merged = {**self.default_labels, **labels}
        self.check_label_count(merged, keyword)
        labelled = dataclasses.replace(node, rule_labels=labels, labels=merged)
        self.label_tokens[id(labelled)] = keyword
        return labelled

    def parse_leaf(self) -> Rule:
        type_tok = self.advance()
        parameters = self.parse_parameters()
        cond_tok = self.tok
        condition = self.parse_condition() if self.at(*COMPARISONS) else None
        where_tok = self.tok
        where = None
        if self.at("WHERE"):
            self.advance()
            clause = self.string_token("a quoted SQL filter")
            where = clause.text[1:-1]
            if not where.strip():
                raise self.fail("where clause must not be empty", clause, ["a SparkSQL filter"])
        threshold_tok = self.tok
        threshold, tags = self.parse_tags()
        self.continuations = ["'with'", "'labels'", "'and'", "'or'"]
        if where is None and threshold is None and not tags:
            self.continuations[:0] = ["'where'"] if condition else ["a condition", "'where'"]
        if not self.at(*RULE_END):
            raise self.unexpected([*self.continuations, *self.closers], _parameter_hint(parameters, self.tok))
        try:
            check_rule(type_tok.text, parameters, condition, has_where=where is not None, threshold=threshold)
        except RuleProblem as problem:
            at = {"condition": cond_tok, "where": where_tok, "threshold": threshold_tok}
            token = at.get(problem.part, type_tok)
            hint = problem.hint
            if problem.part == "parameters":
                hint = _parameter_hint(parameters, self.tok) or hint
            raise self.fail(problem.message, token, problem.expected, hint) from None
        if condition is not None and self.counts_bytes(type_tok.text, len(parameters), condition):
            condition = Condition(condition.op, tuple(Size(int(n.text), "B") for n in _numbers(condition)), "size")
        rule = Rule(
            type_tok.text,
            tuple(parameters),
            condition,
            where,
            threshold,
            tuple(tags),
            labels=dict(self.default_labels),
        )
        if self.at("LABELS"):
            rule = self.attach_labels(rule)
            self.continuations = ["'and'", "'or'"]
        return rule

    @staticmethod
    def counts_bytes(rule_type: str, count: int, condition: Condition) -> bool:
        """Whether a number condition of a size rule (``FileSize > 2``) means bytes, as in the
        reference, which models whole numbers there as ``2 B`` (and prints them so)."""
        if condition.kind != "number" or "SIZE" not in lookup(rule_type, count).returns:
            return False
        numbers = _numbers(condition)
        return len(numbers) == len(condition.operands) and all(_INTEGER.fullmatch(n.text) for n in numbers)

    def parse_parameters(self) -> list[Parameter]:
        parameters: list[Parameter] = []
        starts = (*STRINGS, "IDENT", "$")
        while True:
            connector = None
            if self.at("OF", "AND") and self.peek().kind in starts:
                connector = self.advance().text
            elif not self.at(*starts):
                return parameters
            parameters.append(self.parse_parameter(connector))

    def parse_parameter(self, connector: str | None) -> Parameter:
        token = self.advance()
        if token.kind == "IDENT":
            return Parameter(token.text, quoted=False, connector=connector)
        if token.kind != "$":
            return Parameter(token.text[1:-1], connector=connector)
        variable = self.lookup_variable()
        if isinstance(variable.value, tuple):
            raise self.fail(f"constant ${variable.name} is a list; a parameter needs a single string", token)
        text = variable.value.value if isinstance(variable.value, String) else variable.value.name
        return Parameter(text, connector=connector, variable=variable.name)

    def lookup_variable(self) -> Variable:
        name = self.expect("IDENT", "a constant name")
        if name.text not in self.variables:
            known = ", ".join(self.variables) or "none defined"
            raise self.fail(f"constant ${name.text} is not defined (known: {known})", name)
        return self.variables[name.text]

    def parse_tags(self) -> tuple[Condition | None, list[Tag]]:
        threshold: Condition | None = None
        tags: list[Tag] = []
        while self.at("WITH"):
            with_tok = self.advance()
            key = self.expect("IDENT", "'threshold' or a tag name")
            if not self.at(*COMPARISONS):
                raise self.unexpected(["a condition such as '> 0.9'"])
            condition_tok = self.tok
            condition = self.parse_condition()
            if key.text.lower() == "threshold" and condition.kind == "number":
                if threshold is not None:
                    raise self.fail("only one threshold condition is allowed", with_tok)
                threshold = condition
                continue
            value = condition.operands[0]
            if condition.op != "=" or not isinstance(value, String | Number):
                raise self.fail(f"tag {key.text} must be set with '=' to a string or a number", condition_tok)
            tags.append(Tag(key.text, value))
        return threshold, tags

    def parse_analyzers(self) -> list[Analyzer]:
        self.advance()
        self.expect("=", "'='")
        self.expect("[", "'['")
        analyzers: list[Analyzer] = []
        while not self.at("]"):
            if analyzers:
                self.expect(",", "',' or ']'")
                if self.at("]"):
                    raise self.fail("trailing ',' before ']'", self.tok, ["an analyzer type"])
            self.context = ("analyzer", len(analyzers) + 1, self.tok.start)
            type_tok = self.expect("IDENT", "an analyzer type")
            parameters = self.parse_parameters()
            if self.at(*COMPARISONS):
                raise self.fail(f"analyzer {type_tok.text} takes no condition", self.tok, ["',' or ']'"])
            try:
                check_analyzer(type_tok.text, parameters)
            except RuleProblem as problem:
                raise self.fail(problem.message, type_tok, problem.expected, problem.hint) from None
            analyzers.append(Analyzer(type_tok.text, tuple(parameters)))
        self.advance()
        self.context = None
        return analyzers

    # --- conditions -----------------------------------------------------------------------------

    def parse_condition(self) -> Condition:
        first = self.advance()
        op = {"!": "!=", "BETWEEN": "between", "IN": "in", "MATCHES": "matches"}.get(first.kind, first.text)
        if first.kind == "!":
            self.expect("=", "'='")
        elif first.kind == "NOT":
            follow = self.expect(("BETWEEN", "IN", "MATCHES"), "'between', 'in' or 'matches'")
            op = f"not {follow.text}"
        operands: list[tuple[Operand, Token]] = []
        if op.endswith("between"):
            operands.append(self.parse_operand())
            self.expect("AND", "'and'")
            operands.append(self.parse_operand())
        elif op.endswith("in"):
            if self.at("$"):
                operands.append(self.parse_operand(listed=True))
            else:
                self.expect("[", "'['")
                operands.append(self.parse_operand(listed=True))
                while self.at(","):
                    self.advance()
                    operands.append(self.parse_operand(listed=True))
                self.expect("]", "',' or ']'")
        elif op.endswith("matches"):
            token = self.expect(STRINGS, "a quoted regular expression")
            operands.append((String(token.text[1:-1], token.text[1:-1]), token))
        else:
            operands.append(self.parse_operand())
        return Condition(op, tuple(o for o, _ in operands), self.classify(op, operands))

    def classify(self, op: str, operands: list[tuple[Operand, Token]]) -> str:
        kinds = set(KIND_ORDER)
        if op not in STRING_OPS:
            kinds.discard("string")
        for index, (operand, token) in enumerate(operands):
            allowed = kinds & _operand_kinds(operand)
            if not allowed:
                wanted = [KIND_NAMES[k] for k in KIND_ORDER if k in kinds]
                if index == 0:
                    raise self.fail(f"{op!r} cannot compare against {_describe(token)}", token, wanted)
                message = f"{_describe(token)} is not {' or '.join(wanted)} like the value before it"
                raise self.fail(message, token, wanted)
            kinds = allowed
        return next(kind for kind in KIND_ORDER if kind in kinds)

    def parse_operand(self, listed: bool = False) -> tuple[Operand, Token]:
        token = self.tok
        kind = token.kind
        if kind == "STRING":
            self.advance()
            raw = token.text[1:-1]
            return String(_unescape(raw) if listed else raw, raw), token
        if kind == "DATE":
            self.advance()
            return self.checked(Date(token.text[1:-1]), token), token
        if kind == "TIME":
            self.advance()
            return self.checked(Time(token.text[1:-1]), token), token
        if kind == "NOW":
            self.advance()
            return Now(), token
        if kind == "(" and self.peek().kind == "NOW":
            return self.parse_now_offset(), token
        if kind == "$":
            self.advance()
            return self.resolve(self.lookup_variable(), listed, token), token
        if kind in KEYWORD_NAMES:
            self.advance()
            return Keyword(kind), token
        if kind == "INT" and self.peek().kind in ("DURATION_UNIT", "SIZE_UNIT"):
            self.advance()
            unit = self.advance()
            node = Duration if unit.kind == "DURATION_UNIT" else Size
            return node(int(token.text), unit.text), token
        return self.parse_numeric(), token

    def checked(self, node: Date | Time, token: Token) -> Date | Time:
        try:
            node.value  # noqa: B018 - validates the literal
        except ValueError:
            raise self.fail(f"invalid {type(node).__name__.lower()} {token.text}", token) from None
        return node

    def resolve(self, variable: Variable, listed: bool, token: Token) -> VariableRef:
        values = variable.value if isinstance(variable.value, tuple) else (variable.value,)
        if not listed and isinstance(variable.value, tuple):
            raise self.fail(f"constant ${variable.name} is a list; use 'in ${variable.name}'", token)
        return VariableRef(variable.name, values)

    def parse_now_offset(self) -> Now:
        self.advance()
        self.advance()
        sign = self.expect(("-", "+"), "'-' or '+'")
        amount = self.expect("INT", "a whole number of days, hours or minutes")
        unit = self.expect("DURATION_UNIT", "'days', 'hours' or 'minutes'")
        self.expect(")", "')'")
        return Now(sign.text, Duration(int(amount.text), unit.text))

    def parse_numeric(self) -> NumericExpr:
        left = self.parse_numeric_primary()
        while self.at(*NUMERIC_OPS):
            op = self.advance().text
            left = BinaryOp(op, left, self.parse_numeric_primary())
        return left

    def parse_numeric_primary(self) -> NumericExpr:
        token = self.tok
        if token.kind in ("(", "IDENT"):
            self.nesting += 1
            if self.nesting > MAX_DEPTH:
                raise self.fail(f"expression nested deeper than {MAX_DEPTH} levels", token)
            try:
                return self.parse_nested_numeric(token)
            finally:
                self.nesting -= 1
        if token.kind in ("INT", "DECIMAL"):
            self.advance()
            return Number(token.text)
        if token.kind == "-":
            self.advance()
            return Number("-" + self.expect(("INT", "DECIMAL"), "a number").text)
        raise self.unexpected(["a value (number, string, date, duration, size, NULL or a function call)"])

    def parse_nested_numeric(self, token: Token) -> NumericExpr:
        if token.kind == "(":
            self.advance()
            inner = self.parse_numeric()
            self.expect(")", "')'")
            return Group(inner)
        if self.peek().kind != "(":
            raise self.unexpected(["a value (number, string, date, duration, size, NULL or a function call)"])
        self.advance()
        self.advance()
        args: list[NumericExpr] = []
        if not self.at(")"):
            args.append(self.parse_numeric())
            while self.at(","):
                self.advance()
                args.append(self.parse_numeric())
        self.expect(")", "',' or ')'")
        return FunctionCall(token.text, tuple(args))


def _parameter_hint(parameters: list[Parameter], token: Token) -> str | None:
    if token.kind in RESERVED:
        return f'{token.text!r} is a reserved word; quote it to use it as a name: "{token.text}"'
    for parameter in parameters:
        if parameter.connector in ("and", "AND"):
            return "put each side of 'and'/'or' in parentheses: (ruleA) and (ruleB)"
        if parameter.quoted:
            continue
        if parameter.value in RULE_TYPES:
            return f"is a ',' missing before {parameter.value}?"
        if parameter.value.lower() in LOWERCASE_WORDS:
            lower = parameter.value.lower()
            return f"{parameter.value!r} was read as a column name; DQDL keywords are lower-case: {lower!r}"
    return None


def _mergeable(node: Rule | CompositeRule, op: str) -> TypeGuard[CompositeRule]:
    """An unlabelled composite joined by ``op``."""
    return isinstance(node, CompositeRule) and node.op == op and not node.rule_labels


def _numbers(condition: Condition) -> list[Number]:
    return [operand for operand in condition.operands if isinstance(operand, Number)]


def _operand_kinds(operand: Operand) -> set[str]:
    if isinstance(operand, Keyword):
        return {"number", "string", "date"} if operand.name == "NULL" else {"string"}
    if isinstance(operand, String | VariableRef):
        return {"string"}
    if isinstance(operand, Date | Time | Now):
        return {"date"}
    if isinstance(operand, Duration):
        return {"duration"}
    if isinstance(operand, Size):
        return {"size"}
    return {"number"}
