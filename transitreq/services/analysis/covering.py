"""The maximal covering location problem, without geography: choose at most K candidates that
together cover the most weight, each piece of weight counted once, no two conflicting
candidates chosen together.

Kept apart from the maps and the database so it can be checked against an exhaustive search on
small instances. Two solvers answer it: a lazy greedy (always, fast, and the fallback) and the
exact mixed-integer programme solved by HiGHS through ``scipy.optimize.milp`` when the instance
is small enough to hand over. Whichever covers more is the answer; the optimality gap is
measured against the best upper bound known (HiGHS's dual bound when it ran, else the sum of
the K largest single-candidate values, which no choice of K can exceed).
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csc_matrix, csr_matrix, hstack, identity, vstack

GREEDY = "greedy"
EXACT = "exact"
# Beyond these, HiGHS is not asked (the greedy answer stands, with its bound).
MAX_EXACT_CANDIDATES = 6000
MAX_EXACT_PIECES = 150_000


@dataclass(frozen=True)
class CoveringProblem:
    """``cover[c, p]`` is 1 when candidate c covers piece p; ``weight[p]`` people in piece p;
    ``conflicts`` pairs (a, b) of candidates that may not both be chosen."""

    cover: csr_matrix
    weight: np.ndarray
    conflicts: np.ndarray  # shape (n, 2), int

    @property
    def candidate_count(self) -> int:
        return self.cover.shape[0]


@dataclass(frozen=True)
class CoveringAnswer:
    # Chosen candidates in rank order: each adds the most of what the earlier ones left.
    chosen: list[int]
    # Weight each adds in that order (marginal), summing to ``covered``.
    marginal: list[float]
    covered: float
    method: str  # GREEDY or EXACT
    greedy_covered: float
    greedy_chosen: list[int]
    upper_bound: float
    seconds: float

    @property
    def gap(self) -> float:
        """Share by which the answer may fall short of the optimum (0 proven optimal)."""
        if self.upper_bound <= 0:
            return 0.0
        return max(self.upper_bound - self.covered, 0.0) / self.upper_bound


def _conflict_lists(problem: CoveringProblem) -> list[list[int]]:
    lists: list[list[int]] = [[] for _ in range(problem.candidate_count)]
    for a, b in problem.conflicts:
        lists[int(a)].append(int(b))
        lists[int(b)].append(int(a))
    return lists


def greedy(problem: CoveringProblem, count: int) -> list[int]:
    """Lazy greedy: a candidate's gain only falls as others are chosen, so a stale gain that
    still tops the heap once refreshed is the true best."""
    cover, weight = problem.cover, problem.weight
    covered = np.zeros(len(weight), dtype=bool)
    gains = np.asarray(cover @ weight, dtype=float)
    heap = [(-gain, c) for c, gain in enumerate(gains) if gain > 0]
    heapq.heapify(heap)
    banned = np.zeros(problem.candidate_count, dtype=bool)
    conflicts = _conflict_lists(problem)
    chosen: list[int] = []
    while heap and len(chosen) < count:
        _, c = heapq.heappop(heap)
        if banned[c]:
            continue
        row = cover.indices[cover.indptr[c] : cover.indptr[c + 1]]
        fresh = float(weight[row[~covered[row]]].sum())
        if fresh <= 0:
            continue
        if heap and fresh < -heap[0][0]:
            heapq.heappush(heap, (-fresh, c))
            continue
        chosen.append(c)
        covered[row] = True
        banned[c] = True
        banned[conflicts[c]] = True
    return chosen


def ranked(problem: CoveringProblem, chosen: list[int]) -> tuple[list[int], list[float]]:
    """The chosen candidates in rank order, with each one's marginal weight."""
    cover, weight = problem.cover, problem.weight
    covered = np.zeros(len(weight), dtype=bool)
    left, order, marginal = list(chosen), [], []
    while left:
        gains = [
            float(weight[row[~covered[row]]].sum())
            for row in (cover.indices[cover.indptr[c] : cover.indptr[c + 1]] for c in left)
        ]
        best = int(np.argmax(gains))
        c = left.pop(best)
        order.append(c)
        marginal.append(gains[best])
        covered[cover.indices[cover.indptr[c] : cover.indptr[c + 1]]] = True
    return order, marginal


def union_weight(problem: CoveringProblem, chosen: list[int]) -> float:
    covered = np.zeros(len(problem.weight), dtype=bool)
    for c in chosen:
        covered[problem.cover.indices[problem.cover.indptr[c] : problem.cover.indptr[c + 1]]] = True
    return float(problem.weight[covered].sum())


def _merged_pieces(cover: csr_matrix, weight: np.ndarray) -> tuple[csr_matrix, np.ndarray]:
    """Pieces covered by exactly the same candidates merged into one (their weights summed):
    the programme's size then follows the map's arrangement of circles, not its people."""
    by_piece = csc_matrix(cover)
    keep = np.diff(by_piece.indptr) > 0
    by_piece = by_piece[:, keep]
    weight = weight[keep]
    if by_piece.shape[1] == 0:
        return csr_matrix(cover.shape[0:1] + (0,)), weight
    rng = np.random.default_rng(7)
    salts = rng.integers(1, 2**61, size=(2, cover.shape[0]), dtype=np.int64)
    starts = by_piece.indptr[:-1]
    keys = np.stack(
        [np.add.reduceat(salts[k][by_piece.indices], starts) for k in range(2)]
        + [np.diff(by_piece.indptr)],
        axis=1,
    )
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    merged_weight = np.bincount(inverse.ravel(), weights=weight)
    return csr_matrix(by_piece[:, first]), merged_weight


def exact(
    problem: CoveringProblem, count: int, time_limit_s: float
) -> tuple[list[int] | None, float | None]:
    """The mixed-integer programme: x_c chosen (binary), y_p covered (0…1), maximise Σ w·y
    with y_p ≤ Σ_{c covers p} x_c, Σ x ≤ K and x_a + x_b ≤ 1 for each conflict. Returns the
    choice (None when HiGHS found none in time) and HiGHS's upper bound."""
    cover, weight = _merged_pieces(problem.cover, problem.weight)
    candidates, pieces = cover.shape
    if pieces == 0:
        return [], 0.0
    if candidates > MAX_EXACT_CANDIDATES or pieces > MAX_EXACT_PIECES:
        return None, None
    cost = np.concatenate([np.zeros(candidates), -weight])
    covered_by = hstack([-cover.T, identity(pieces, format="csr")], format="csr")
    rows = [covered_by]
    lower = [np.full(pieces, -np.inf)]
    upper = [np.zeros(pieces)]
    rows.append(csr_matrix(np.concatenate([np.ones(candidates), np.zeros(pieces)])[None, :]))
    lower.append(np.array([0.0]))
    upper.append(np.array([float(count)]))
    if len(problem.conflicts):
        pairs = problem.conflicts
        n = len(pairs)
        data = np.ones(2 * n)
        row_index = np.repeat(np.arange(n), 2)
        rows.append(csr_matrix((data, (row_index, pairs.ravel())), shape=(n, candidates + pieces)))
        lower.append(np.full(n, -np.inf))
        upper.append(np.ones(n))
    constraints = LinearConstraint(
        vstack(rows, format="csr"), np.concatenate(lower), np.concatenate(upper)
    )
    integrality = np.concatenate([np.ones(candidates), np.zeros(pieces)])
    result = milp(
        cost,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s, "disp": False},
    )
    bound = getattr(result, "mip_dual_bound", None)
    upper_bound = -float(bound) if bound is not None and np.isfinite(bound) else None
    if result.x is None:
        return None, upper_bound
    chosen = [int(c) for c in np.flatnonzero(result.x[:candidates] > 0.5)]
    return chosen, upper_bound


def solve(
    problem: CoveringProblem, count: int, time_limit_s: float = 5.0, exact_too: bool = True
) -> CoveringAnswer:
    """The best choice of at most ``count`` candidates the time allows (see the module);
    ``exact_too=False`` keeps to the greedy answer (the benchmark's baseline)."""
    started = time.perf_counter()
    greedy_choice = greedy(problem, count)
    greedy_value = union_weight(problem, greedy_choice)
    singles = np.sort(np.asarray(problem.cover @ problem.weight, dtype=float))[::-1]
    upper_bound = float(singles[:count].sum())
    best, method = greedy_choice, GREEDY
    if exact_too and problem.cover.nnz > 0 and greedy_value < upper_bound:
        exact_choice, exact_bound = exact(problem, count, time_limit_s)
        if exact_bound is not None:
            upper_bound = min(upper_bound, max(exact_bound, greedy_value))
        if exact_choice is not None:
            exact_value = union_weight(problem, exact_choice)
            if exact_value >= greedy_value - 1e-9:
                best, method = exact_choice, EXACT
    order, marginal = ranked(problem, best)
    covered = float(sum(marginal))
    return CoveringAnswer(
        chosen=order,
        marginal=marginal,
        covered=covered,
        method=method,
        greedy_covered=greedy_value,
        greedy_chosen=greedy_choice,
        upper_bound=max(upper_bound, covered),
        seconds=time.perf_counter() - started,
    )
