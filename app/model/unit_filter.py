"""Filter expressions over the columns of the units table, parsed with `ast`, never evaluated.

A filter such as ``snr > 5 and firing_rate > 0.5`` or ``label == "good" or num_spikes >= 100``
is parsed into a Python syntax tree and walked here, node by node, over whole columns at once
(numpy arrays: one boolean per unit). Only a whitelist of nodes is accepted: comparisons
(chained too: ``0.5 < firing_rate < 20``), ``and``/``or``/``not`` (and ``&``/``|``/``~``),
arithmetic (``+ - * / // %``), column names, numbers, strings, ``True``/``False`` and tuples or
lists of constants after ``in``. Anything else (calls, attributes, subscripts, powers,
lambdas...) is refused with a message: the text never reaches ``eval`` or ``exec``.

A missing value (NaN, e.g. a metric still being computed) fails every comparison but ``!=``.
"""

from __future__ import annotations

import ast
import difflib
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

#: Longest expression accepted (characters).
MAX_LENGTH = 1000

_COMPARE: dict[type, Callable] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_ARITHMETIC: dict[type, Callable] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.FloorDiv: np.floor_divide,
    ast.Mod: np.mod,
}
_SYMBOLS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}


class FilterError(ValueError):
    """A filter expression that cannot be used; ``str(error)`` says why, for the user.

    Attributes
    ----------
    offset : int or None
        Character position in the expression the message refers to, when known.
    """

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class _Value:
    """An intermediate result: an array over the units and what it holds."""

    data: np.ndarray
    kind: str  # "number", "text" or "bool"


@dataclass(frozen=True)
class FilterResult:
    """The units an expression keeps.

    Attributes
    ----------
    mask : np.ndarray
        One boolean per unit (row of the table).
    columns : tuple of str
        The columns the expression reads (to re-apply it when one of them changes).
    """

    mask: np.ndarray
    columns: tuple[str, ...]


def apply_filter(expression: str, columns: Mapping[str, np.ndarray], num_rows: int) -> FilterResult:
    """Evaluate ``expression`` over ``columns`` and return the rows it keeps.

    Parameters
    ----------
    expression : str
        The filter text; empty (or blank) keeps every row.
    columns : mapping of str to np.ndarray
        Column name -> one value per row: a float array (NaN: missing), a bool array, or an
        object/str array of text.
    num_rows : int
        Rows of the table.

    Returns
    -------
    FilterResult

    Raises
    ------
    FilterError
        With a message for the user: invalid syntax, an unknown column (with the closest
        names), a construct outside the whitelist, mixed text and numbers, or an expression
        that is not a condition.
    """
    if not isinstance(expression, str):
        raise TypeError(f"expression must be a str, got {type(expression).__name__}")
    if not expression.strip():
        return FilterResult(np.ones(num_rows, dtype=bool), ())
    if len(expression) > MAX_LENGTH:
        raise FilterError(f"the filter is too long ({len(expression)} > {MAX_LENGTH} characters)")
    tree = _parse(expression)
    evaluator = _Evaluator(columns, num_rows)
    result = evaluator.visit(tree.body)
    if result.kind != "bool":
        raise FilterError('the filter must be a condition, for example snr > 5 or label == "good"')
    return FilterResult(np.asarray(result.data, dtype=bool), tuple(evaluator.used))


def _parse(expression: str) -> ast.Expression:
    # newlines would let a filter span statements; one line is all a filter box holds
    text = " ".join(expression.split("\n")).strip()
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as error:
        offset = None if error.offset is None else error.offset - 1
        hint = ""
        if "=" in text and "==" not in text and not any(s in text for s in ("<=", ">=", "!=")):
            hint = "; compare with == (two equals signs)"
        where = "" if offset is None else f" at character {offset + 1}"
        raise FilterError(f"invalid filter{where}: {error.msg}{hint}", offset) from None


class _Evaluator:
    """Walks the whitelisted nodes of a parsed filter over whole columns."""

    def __init__(self, columns: Mapping[str, np.ndarray], num_rows: int) -> None:
        self._columns = columns
        self._num_rows = num_rows
        self.used: list[str] = []
        folded: dict[str, list[str]] = {}
        for name in columns:
            folded.setdefault(name.casefold(), []).append(name)
        self._folded = folded

    def visit(self, node: ast.AST) -> _Value:
        method = getattr(self, f"_visit_{type(node).__name__}", None)
        if method is None:
            raise FilterError(
                f"{_describe(node)} is not allowed in a filter: use column names, numbers, "
                "quoted text, comparisons, and/or/not and + - * /",
                getattr(node, "col_offset", None),
            )
        return method(node)

    # ------------------------------------------------------------------ leaves
    def _visit_Name(self, node: ast.Name) -> _Value:
        name = self._resolve(node)
        if name not in self.used:
            self.used.append(name)
        data = np.asarray(self._columns[name])
        if data.dtype == bool:
            return _Value(data, "bool")
        if data.dtype.kind in "iuf":
            return _Value(data.astype("float64"), "number")
        return _Value(np.asarray([str(v) for v in data.tolist()], dtype=object), "text")

    def _resolve(self, node: ast.Name) -> str:
        name = node.id
        if name in self._columns:
            return name
        same = self._folded.get(name.casefold(), [])
        if len(same) == 1:
            return same[0]
        if name in ("true", "false"):
            raise FilterError(f"write {name.capitalize()} (capital letter)", node.col_offset)
        close = difflib.get_close_matches(name, list(self._columns), n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        raise FilterError(
            f"unknown column {name!r}{hint}; columns: {', '.join(self._columns)}",
            node.col_offset,
        )

    def _visit_Constant(self, node: ast.Constant) -> _Value:
        value = node.value
        if isinstance(value, bool):
            return _Value(np.full(self._num_rows, value), "bool")
        if isinstance(value, int | float):
            try:
                number = float(value)
            except OverflowError:
                raise FilterError(f"the number {value} is too large", node.col_offset) from None
            return _Value(np.full(self._num_rows, number), "number")
        if isinstance(value, str):
            return _Value(np.full(self._num_rows, value, dtype=object), "text")
        raise FilterError(f"{value!r} is not allowed in a filter", node.col_offset)

    # ------------------------------------------------------------------ operators
    def _visit_BoolOp(self, node: ast.BoolOp) -> _Value:
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        word = "and" if isinstance(node.op, ast.And) else "or"
        values = [self._condition(v, word) for v in node.values]
        result = values[0]
        for value in values[1:]:
            result = combine(result, value)
        return _Value(result, "bool")

    def _visit_UnaryOp(self, node: ast.UnaryOp) -> _Value:
        if isinstance(node.op, ast.Not | ast.Invert):
            return _Value(~self._condition(node.operand, "not"), "bool")
        operand = self._number(node.operand, "-" if isinstance(node.op, ast.USub) else "+")
        return _Value(-operand if isinstance(node.op, ast.USub) else operand, "number")

    def _visit_BinOp(self, node: ast.BinOp) -> _Value:
        if isinstance(node.op, ast.BitAnd | ast.BitOr):
            word = "&" if isinstance(node.op, ast.BitAnd) else "|"
            combine = np.logical_and if word == "&" else np.logical_or
            return _Value(
                combine(self._condition(node.left, word), self._condition(node.right, word)),
                "bool",
            )
        function = _ARITHMETIC.get(type(node.op))
        if function is None:
            raise FilterError(
                f"{_describe(node.op)} is not allowed in a filter (only + - * / // %)",
                node.col_offset,
            )
        symbol = type(node.op).__name__
        left, right = self._number(node.left, symbol), self._number(node.right, symbol)
        with np.errstate(all="ignore"):  # x / 0 is inf or NaN, as in a spreadsheet
            return _Value(function(left, right), "number")

    def _visit_Compare(self, node: ast.Compare) -> _Value:
        result = np.ones(self._num_rows, dtype=bool)
        left_node = node.left
        left = self.visit(left_node)
        for op, right_node in zip(node.ops, node.comparators):
            if isinstance(op, ast.In | ast.NotIn):
                choices = self._choices(right_node)
                matched = self._membership(left, choices, left_node)
                result &= ~matched if isinstance(op, ast.NotIn) else matched
                left_node, left = right_node, None
                continue
            if left is None:
                raise FilterError("a list of values cannot be compared", right_node.col_offset)
            right = self.visit(right_node)
            self._check_comparable(left, right, op, left_node, right_node)
            with np.errstate(invalid="ignore"):
                result &= np.asarray(_COMPARE[type(op)](left.data, right.data), dtype=bool)
            left_node, left = right_node, right
        return _Value(result, "bool")

    # ------------------------------------------------------------------ helpers
    def _condition(self, node: ast.AST, word: str) -> np.ndarray:
        value = self.visit(node)
        if value.kind != "bool":
            raise FilterError(
                f"'{word}' joins conditions, but {ast.unparse(node)!r} is not one "
                "(write e.g. snr > 5)",
                getattr(node, "col_offset", None),
            )
        return np.asarray(value.data, dtype=bool)

    def _number(self, node: ast.AST, symbol: str) -> np.ndarray:
        value = self.visit(node)
        if value.kind != "number":
            raise FilterError(
                f"arithmetic needs numbers, but {ast.unparse(node)!r} holds "
                f"{'text' if value.kind == 'text' else 'a condition'}",
                getattr(node, "col_offset", None),
            )
        return value.data

    def _check_comparable(self, left, right, op, left_node, right_node) -> None:
        kinds = {left.kind, right.kind}
        if len(kinds) == 1:
            if kinds == {"bool"} and isinstance(op, _ORDERING):
                raise FilterError(
                    f"conditions cannot be ordered with {_SYMBOLS[type(op)]}",
                    left_node.col_offset,
                )
            return
        if kinds == {"bool", "number"}:  # True == 1, as in Python
            return
        text_node = left_node if left.kind == "text" else right_node
        other_node = right_node if left.kind == "text" else left_node
        raise FilterError(
            f"{ast.unparse(text_node)!r} is text and {ast.unparse(other_node)!r} is not: "
            'compare text with quoted text, e.g. label == "good", and numbers with numbers',
            text_node.col_offset,
        )

    def _choices(self, node: ast.AST) -> list:
        if not isinstance(node, ast.Tuple | ast.List | ast.Set):
            raise FilterError(
                'after "in" give a list of values, e.g. label in ("good", "mua")',
                getattr(node, "col_offset", None),
            )
        choices = []
        for element in node.elts:
            if not isinstance(element, ast.Constant) or not isinstance(
                element.value, str | int | float
            ):
                raise FilterError(
                    'the list after "in" may hold only numbers and quoted text',
                    getattr(element, "col_offset", None),
                )
            choices.append(element.value)
        return choices

    def _membership(self, left: _Value | None, choices: list, node: ast.AST) -> np.ndarray:
        if left is None:
            raise FilterError("a list of values cannot be compared", node.col_offset)
        if left.kind == "text":
            wanted = {c for c in choices if isinstance(c, str)}
            return np.fromiter((v in wanted for v in left.data), dtype=bool, count=len(left.data))
        if left.kind == "number":
            numbers = [float(c) for c in choices if not isinstance(c, str)]
            return np.isin(left.data, numbers)
        raise FilterError('"in" needs a column of numbers or text', node.col_offset)


def _describe(node: ast.AST) -> str:
    names = {
        "Call": "a function call",
        "Attribute": "an attribute (.)",
        "Subscript": "indexing ([])",
        "Pow": "** (power)",
        "Lambda": "lambda",
        "IfExp": "if/else",
        "NamedExpr": ":=",
        "JoinedStr": "an f-string",
        "ListComp": "a comprehension",
        "GeneratorExp": "a comprehension",
        "Starred": "*",
        "MatMult": "@",
        "LShift": "<<",
        "RShift": ">>",
        "BitXor": "^",
        "Tuple": "a list of values (allowed only after in)",
        "List": "a list of values (allowed only after in)",
        "Set": "a list of values (allowed only after in)",
        "Dict": "a dict",
    }
    return names.get(type(node).__name__, type(node).__name__)
