"""Binary operators: scalar/scalar, vector/scalar, vector/vector (one-to-one, group_left, group_right) and
the set operators, with Prometheus' matching, result labels and errors."""

from __future__ import annotations

from collections.abc import Callable

from rules.domain.promql.arith import ARITHMETIC, COMPARISON
from rules.domain.promql.model import ExprError, Labels, Vector
from rules.domain.promql.nodes import Ctx, ScalarNode, VectorNode

Signature = Callable[[Labels], Labels]


def signature(*, on: bool | None, labels: frozenset[str]) -> Signature:
    """What two samples must agree on to match: every label (no modifier), the ``on(...)`` labels, or all
    but the ``ignoring(...)`` ones. For one-to-one matching it is also the result's labels."""
    if on is None:
        return lambda ls: ls
    if on:
        return lambda ls: tuple(p for p in ls if p[0] in labels)
    return lambda ls: tuple(p for p in ls if p[0] not in labels)


def format_labels(labels: Labels) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in labels) + "}"


class ScalarBinary(ScalarNode):
    """scalar op scalar; a comparison (the parser insists on ``bool``) is 1 or 0."""

    __slots__ = ("cmp", "fn", "lhs", "rhs")

    def __init__(self, op: str, lhs: ScalarNode, rhs: ScalarNode) -> None:
        self.fn = ARITHMETIC.get(op)
        self.cmp = COMPARISON.get(op)
        self.lhs = lhs
        self.rhs = rhs

    def eval(self, ctx: Ctx) -> float:
        lhs, rhs = self.lhs.eval(ctx), self.rhs.eval(ctx)
        if self.fn is not None:
            return self.fn(lhs, rhs)
        assert self.cmp is not None
        return 1.0 if self.cmp(lhs, rhs) else 0.0


class VectorScalar(VectorNode):
    """vector op scalar (or scalar op vector, ``swap``): arithmetic on each value; a comparison keeps the
    samples for which it holds, with the vector's value (or 1/0 for every sample with ``bool``)."""

    __slots__ = ("cmp", "fn", "return_bool", "scalar", "swap", "vector")

    def __init__(self, op: str, vector: VectorNode, scalar: ScalarNode, *, swap: bool, return_bool: bool) -> None:
        self.fn = ARITHMETIC.get(op)
        self.cmp = COMPARISON.get(op)
        self.vector = vector
        self.scalar = scalar
        self.swap = swap
        self.return_bool = return_bool

    def eval(self, ctx: Ctx) -> Vector:
        vector = self.vector.eval(ctx)
        s = self.scalar.eval(ctx)
        fn = self.fn
        if fn is not None:
            if self.swap:
                return [(labels, fn(s, v)) for labels, v in vector]
            return [(labels, fn(v, s)) for labels, v in vector]
        cmp = self.cmp
        assert cmp is not None
        if self.return_bool:
            if self.swap:
                return [(labels, 1.0 if cmp(s, v) else 0.0) for labels, v in vector]
            return [(labels, 1.0 if cmp(v, s) else 0.0) for labels, v in vector]
        if self.swap:
            return [(labels, v) for labels, v in vector if cmp(s, v)]
        return [(labels, v) for labels, v in vector if cmp(v, s)]


class VectorBinary(VectorNode):
    """vector op vector, arithmetic or comparison. One-to-one: each side's samples must be unique per
    signature; the result has the signature's labels. ``group_left(l...)``: the right side is the "one"
    side, the result has the left sample's labels plus ``l...`` copied from the right one; ``group_right``
    is the mirror image."""

    __slots__ = ("cmp", "fn", "include", "lhs", "one_to_one", "return_bool", "rhs", "sig", "swap")

    def __init__(
        self,
        op: str,
        lhs: VectorNode,
        rhs: VectorNode,
        *,
        sig: Signature,
        card: str,
        include: tuple[str, ...],
        return_bool: bool,
    ) -> None:
        self.fn = ARITHMETIC.get(op)
        self.cmp = COMPARISON.get(op)
        self.lhs = lhs
        self.rhs = rhs
        self.sig = sig
        self.one_to_one = card == "one-to-one"
        self.swap = card == "one-to-many"
        self.include = include
        self.return_bool = return_bool

    def _grouped_labels(self, many: Labels, one: Labels) -> Labels:
        labels = dict(many)
        one_labels = dict(one)
        for name in self.include:
            value = one_labels.get(name)
            if value:
                labels[name] = value
            else:
                labels.pop(name, None)
        return tuple(sorted(labels.items()))

    def eval(self, ctx: Ctx) -> Vector:
        lhs, rhs = self.lhs.eval(ctx), self.rhs.eval(ctx)
        if not lhs or not rhs:
            return []
        swap, sig = self.swap, self.sig
        if swap:
            lhs, rhs = rhs, lhs
        one: dict[Labels, tuple[Labels, float]] = {}
        for labels, v in rhs:
            key = sig(labels)
            seen = one.get(key)
            if seen is not None:
                raise ExprError(
                    f"many-to-many matching not allowed: found duplicate series for the match group "
                    f"{format_labels(key)} on the {'left' if swap else 'right'} hand-side of the operation: "
                    f"[{format_labels(labels)}, {format_labels(seen[0])}]; matching labels must be unique on one side"
                )
            one[key] = (labels, v)
        fn, cmp, return_bool, one_to_one = self.fn, self.cmp, self.return_bool, self.one_to_one
        matched_keys: set[Labels] = set()  # one-to-one: signatures already in the result
        matched: dict[Labels, set[Labels]] = {}  # many-to-one: result labels per signature
        out: Vector = []
        for labels, v in lhs:
            key = sig(labels)
            found = one.get(key)
            if found is None:
                continue
            fl, fr = (found[1], v) if swap else (v, found[1])
            if fn is not None:
                value = fn(fl, fr)
            else:
                assert cmp is not None
                keep = cmp(fl, fr)
                if return_bool:
                    value = 1.0 if keep else 0.0
                elif keep:
                    value = fl
                else:
                    continue
            if one_to_one:
                if key in matched_keys:
                    raise ExprError(
                        f"multiple matches for labels {format_labels(key)}: many-to-one matching must be explicit "
                        "(group_left/group_right)"
                    )
                matched_keys.add(key)
                result = key
            else:
                result = self._grouped_labels(labels, found[0])
                results = matched.setdefault(key, set())
                if result in results:
                    raise ExprError(
                        f"multiple matches for labels {format_labels(result)}: grouping labels must ensure unique "
                        "matches"
                    )
                results.add(result)
            out.append((result, value))
        return out


class SetOperation(VectorNode):
    """``and`` (left samples with a match on the right), ``or`` (all left samples, then the right ones
    without a match on the left), ``unless`` (left samples without a match on the right); many-to-many."""

    __slots__ = ("lhs", "op", "rhs", "sig")

    def __init__(self, op: str, lhs: VectorNode, rhs: VectorNode, *, sig: Signature) -> None:
        self.op = op
        self.lhs = lhs
        self.rhs = rhs
        self.sig = sig

    def eval(self, ctx: Ctx) -> Vector:
        lhs, rhs = self.lhs.eval(ctx), self.rhs.eval(ctx)
        sig, op = self.sig, self.op
        if op == "or":
            if not lhs or not rhs:
                return lhs or rhs
            left = {sig(labels) for labels, _v in lhs}
            return lhs + [s for s in rhs if sig(s[0]) not in left]
        if not lhs or not rhs:
            return lhs if op == "unless" else []
        right = {sig(labels) for labels, _v in rhs}
        if op == "and":
            return [s for s in lhs if sig(s[0]) in right]
        return [s for s in lhs if sig(s[0]) not in right]
