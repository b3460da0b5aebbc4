"""The subset of SOQL the emulator understands.

SELECT f, Rel.f | COUNT() FROM Object [WHERE cond {AND|OR} ...] [GROUP BY f, ...] [ORDER BY f [ASC|DESC]]
[LIMIT n]; GROUP BY without aggregate functions gives each distinct combination once (AggregateResult rows).
with conditions `f op literal`, `f [NOT] IN (...)` and `f LIKE 'x%'`, parentheses and NOT.
Literals: quoted strings with backslash escapes, numbers, true/false/null, dates, datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'(?:\\.|[^'\\])*')
    | (?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<op><=|>=|!=|<>|=|<|>|\(|\)|,)
    | (?P<word>[A-Za-z_][\w.]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass
class Query:
    fields: list[str]
    object_name: str
    where: Any  # nested tuples: ("and"|"or", a, b) | ("not", a) | ("cmp", field, op, Literal|list)
    order_by: list[tuple[str, bool]]  # (field, descending)
    limit: int | None
    count_only: bool
    group_by: list[str] | None = None


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text[1:-1])


def tokenize(soql: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    soql = soql.strip()
    while position < len(soql):
        match = _TOKEN.match(soql, position)
        if not match or match.end() == position:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{soql[position : position + 10].strip()}'")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.i = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def word(self, *expected: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() in expected:
            self.i += 1
            return True
        return False

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        self.i += 1
        return token

    def expect_op(self, op: str) -> None:
        kind, value = self.take()
        if kind != "op" or value != op:
            raise SoqlError("MALFORMED_QUERY", f"expected '{op}', found '{value}'")

    def parse(self) -> Query:
        if not self.word("SELECT"):
            raise SoqlError("MALFORMED_QUERY", "query must start with SELECT")
        fields, count_only = [], False
        while True:
            kind, value = self.take()
            if kind != "word":
                raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{value}'")
            if value.upper() == "COUNT" and self.peek() == ("op", "("):
                self.expect_op("(")
                self.expect_op(")")
                count_only = True
            else:
                fields.append(value)
            if self.peek() == ("op", ","):
                self.i += 1
                continue
            break
        if not self.word("FROM"):
            raise SoqlError("MALFORMED_QUERY", "expected FROM")
        kind, object_name = self.take()
        where = self.expr() if self.word("WHERE") else None
        group_by = None
        if self.word("GROUP"):
            if not self.word("BY"):
                raise SoqlError("MALFORMED_QUERY", "expected BY")
            group_by = [self.take()[1]]
            while self.peek() == ("op", ","):
                self.i += 1
                group_by.append(self.take()[1])
            if set(fields) != set(group_by):
                raise SoqlError("MALFORMED_QUERY", "Field must be grouped or aggregated")
        order_by: list[tuple[str, bool]] = []
        if self.word("ORDER"):
            if not self.word("BY"):
                raise SoqlError("MALFORMED_QUERY", "expected BY")
            while True:
                _, name = self.take()
                descending = self.word("DESC")
                self.word("ASC")
                order_by.append((name, descending))
                if self.peek() == ("op", ","):
                    self.i += 1
                    continue
                break
        limit = None
        if self.word("LIMIT"):
            limit = int(self.take()[1])
        if self.peek() is not None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{self.peek()[1]}'")
        return Query(fields, object_name, where, order_by, limit, count_only, group_by)

    def expr(self):
        left = self.term()
        while self.word("OR"):
            left = ("or", left, self.term())
        return left

    def term(self):
        left = self.factor()
        while self.word("AND"):
            left = ("and", left, self.factor())
        return left

    def factor(self):
        if self.word("NOT"):
            return ("not", self.factor())
        if self.peek() == ("op", "("):
            self.i += 1
            inner = self.expr()
            self.expect_op(")")
            return inner
        kind, name = self.take()
        if kind != "word":
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{name}'")
        negate = self.word("NOT")
        if self.word("IN"):
            self.expect_op("(")
            values = [self.literal()]
            while self.peek() == ("op", ","):
                self.i += 1
                values.append(self.literal())
            self.expect_op(")")
            condition = ("cmp", name, "in", values)
            return ("not", condition) if negate else condition
        if self.word("LIKE"):
            return ("cmp", name, "like", self.literal())
        kind, op = self.take()
        if kind != "op" or op not in {"=", "!=", "<>", "<", "<=", ">", ">="}:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{op}'")
        return ("cmp", name, "!=" if op == "<>" else op, self.literal())

    def literal(self) -> Literal:
        kind, value = self.take()
        if kind == "str":
            return Literal(_unescape(value))
        if kind == "num":
            return Literal(float(value) if "." in value else int(value))
        if kind == "dt":
            return Literal(datetime.fromisoformat(value.replace("Z", "+00:00")))
        if kind == "date":
            return Literal(date.fromisoformat(value))
        if kind == "word" and value.lower() in {"true", "false", "null"}:
            return Literal({"true": True, "false": False, "null": None}[value.lower()])
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{value}'")


def parse(soql: str) -> Query:
    return _Parser(tokenize(soql)).parse()


def _coerce(record_value: Any, literal: Any) -> Any:
    """Bring a stored value to the literal's type so comparisons mean what SOQL means."""
    if record_value is None:
        return None
    if isinstance(literal, datetime):
        text = str(record_value).replace("+0000", "+00:00").replace("Z", "+00:00")
        return datetime.fromisoformat(text)
    if isinstance(literal, date):
        return date.fromisoformat(str(record_value)[:10])
    return record_value


def matches(condition, record: dict[str, Any], get) -> bool:
    """Evaluate a parsed WHERE clause against one record; `get(record, field)` resolves a field."""
    if condition is None:
        return True
    op = condition[0]
    if op == "and":
        return matches(condition[1], record, get) and matches(condition[2], record, get)
    if op == "or":
        return matches(condition[1], record, get) or matches(condition[2], record, get)
    if op == "not":
        return not matches(condition[1], record, get)
    _, field, comparison, operand = condition
    raw = get(record, field)
    if comparison == "in":
        return any(_coerce(raw, lit.value) == lit.value for lit in operand)
    literal = operand.value
    if comparison == "like":
        pattern = "^" + re.escape(str(literal)).replace("%", ".*").replace("_", ".") + "$"
        return raw is not None and re.match(pattern, str(raw), re.IGNORECASE) is not None
    value = _coerce(raw, literal)
    if comparison == "=":
        return value == literal
    if comparison == "!=":
        return value != literal
    if value is None or literal is None:
        return False
    return {"<": value < literal, "<=": value <= literal, ">": value > literal, ">=": value >= literal}[comparison]
