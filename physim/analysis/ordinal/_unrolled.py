"""Window codes for n = 3..7 with the comparisons written out (generated; do not edit by hand).

Regenerate with ``python -m physim.analysis.ordinal._unrolled``. Each window's Lehmer code
sum_i L_i (n-1-i)!, L_i = #{j > i : v_j < v_i}, is one expression of the n(n-1)/2
comparisons, so consecutive windows are independent and the loop vectorises; a window
with a NaN gets code n! (an extra bin), and windows with equal values are counted.
"""
import numba as nb

# -- generated --
@nb.njit(cache=True, nogil=True)
def codes3(x, s, m, delay, code):
    tied = 0
    for k in range(m):
        t = s + k
        v0 = x[t]
        v1 = x[t + 1 * delay]
        v2 = x[t + 2 * delay]
        bad = ((v0 != v0) | (v1 != v1) | (v2 != v2))
        eq = ((v0 == v1) | (v0 == v2) | (v1 == v2))
        cd = (2 * ((v1 < v0) + (v2 < v0))
              + 1 * ((v2 < v1)))
        code[k] = 6 if bad else cd
        tied += eq & ~bad
    return tied


@nb.njit(cache=True, nogil=True)
def codes3_1(x, s, m, delay, code):
    tied = 0
    for k in range(m):
        t = s + k
        v0 = x[t]
        v1 = x[t + 1]
        v2 = x[t + 2]
        bad = ((v0 != v0) | (v1 != v1) | (v2 != v2))
        eq = ((v0 == v1) | (v0 == v2) | (v1 == v2))
        cd = (2 * ((v1 < v0) + (v2 < v0))
              + 1 * ((v2 < v1)))
        code[k] = 6 if bad else cd
        tied += eq & ~bad
    return tied


@nb.njit(cache=True, nogil=True)
def codes4(x, s, m, delay, code):
    tied = 0
    for k in range(m):
        t = s + k
        v0 = x[t]
        v1 = x[t + 1 * delay]
        v2 = x[t + 2 * delay]
        v3 = x[t + 3 * delay]
        bad = ((v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3))
        eq = ((v0 == v1) | (v0 == v2) | (v0 == v3) | (v1 == v2) | (v1 == v3) |
              (v2 == v3))
        cd = (6 * ((v1 < v0) + (v2 < v0) + (v3 < v0))
              + 2 * ((v2 < v1) + (v3 < v1))
              + 1 * ((v3 < v2)))
        code[k] = 24 if bad else cd
        tied += eq & ~bad
    return tied


@nb.njit(cache=True, nogil=True)
def codes4_1(x, s, m, delay, code):
    tied = 0
    for k in range(m):
        t = s + k
        v0 = x[t]
        v1 = x[t + 1]
        v2 = x[t + 2]
        v3 = x[t + 3]
        bad = ((v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3))
        eq = ((v0 == v1) | (v0 == v2) | (v0 == v3) | (v1 == v2) | (v1 == v3) |
              (v2 == v3))
        cd = (6 * ((v1 < v0) + (v2 < v0) + (v3 < v0))
              + 2 * ((v2 < v1) + (v3 < v1))
              + 1 * ((v3 < v2)))
        code[k] = 24 if bad else cd
        tied += eq & ~bad
    return tied


@nb.njit(cache=True, nogil=True)
def codes5(x, s, m, delay, code):
    tied = 0
    for k in range(m):
        t = s + k
        v0 = x[t]
        v1 = x[t + 1 * delay]
        v2 = x[t + 2 * delay]
        v3 = x[t + 3 * delay]
        v4 = x[t + 4 * delay]
        bad = ((v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3) | (v4 != v4))
        eq = ((v0 == v1) | (v0 == v2) | (v0 == v3) | (v0 == v4) | (v1 == v2) |
              (v1 == v3) | (v1 == v4) | (v2 == v3) | (v2 == v4) | (v3 == v4))
        cd = (24 * ((v1 < v0) + (v2 < v0) + (v3 < v0) + (v4 < v0))
              + 6 * ((v2 < v1) + (v3 < v1) + (v4 < v1))
              + 2 * ((v3 < v2) + (v4 < v2))
              + 1 * ((v4 < v3)))
        code[k] = 120 if bad else cd
        tied += eq & ~bad
    return tied


@nb.njit(cache=True, nogil=True)
def codes5_1(x, s, m, delay, code):
    tied = 0
    for k in range(m):
        t = s + k
        v0 = x[t]
        v1 = x[t + 1]
        v2 = x[t + 2]
        v3 = x[t + 3]
        v4 = x[t + 4]
        bad = ((v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3) | (v4 != v4))
        eq = ((v0 == v1) | (v0 == v2) | (v0 == v3) | (v0 == v4) | (v1 == v2) |
              (v1 == v3) | (v1 == v4) | (v2 == v3) | (v2 == v4) | (v3 == v4))
        cd = (24 * ((v1 < v0) + (v2 < v0) + (v3 < v0) + (v4 < v0))
              + 6 * ((v2 < v1) + (v3 < v1) + (v4 < v1))
              + 2 * ((v3 < v2) + (v4 < v2))
              + 1 * ((v4 < v3)))
        code[k] = 120 if bad else cd
        tied += eq & ~bad
    return tied


@nb.njit(cache=True, nogil=True)
def codes6(x, s, m, delay, code):
    tied = 0
    for k in range(m):
        t = s + k
        v0 = x[t]
        v1 = x[t + 1 * delay]
        v2 = x[t + 2 * delay]
        v3 = x[t + 3 * delay]
        v4 = x[t + 4 * delay]
        v5 = x[t + 5 * delay]
        bad = ((v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3) | (v4 != v4) |
              (v5 != v5))
        eq = ((v0 == v1) | (v0 == v2) | (v0 == v3) | (v0 == v4) | (v0 == v5) |
              (v1 == v2) | (v1 == v3) | (v1 == v4) | (v1 == v5) | (v2 == v3) |
              (v2 == v4) | (v2 == v5) | (v3 == v4) | (v3 == v5) | (v4 == v5))
        cd = (120 * ((v1 < v0) + (v2 < v0) + (v3 < v0) + (v4 < v0) + (v5 < v0))
              + 24 * ((v2 < v1) + (v3 < v1) + (v4 < v1) + (v5 < v1))
              + 6 * ((v3 < v2) + (v4 < v2) + (v5 < v2))
              + 2 * ((v4 < v3) + (v5 < v3))
              + 1 * ((v5 < v4)))
        code[k] = 720 if bad else cd
        tied += eq & ~bad
    return tied


@nb.njit(cache=True, nogil=True)
def codes6_1(x, s, m, delay, code):
    tied = 0
    for k in range(m):
        t = s + k
        v0 = x[t]
        v1 = x[t + 1]
        v2 = x[t + 2]
        v3 = x[t + 3]
        v4 = x[t + 4]
        v5 = x[t + 5]
        bad = ((v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3) | (v4 != v4) |
              (v5 != v5))
        eq = ((v0 == v1) | (v0 == v2) | (v0 == v3) | (v0 == v4) | (v0 == v5) |
              (v1 == v2) | (v1 == v3) | (v1 == v4) | (v1 == v5) | (v2 == v3) |
              (v2 == v4) | (v2 == v5) | (v3 == v4) | (v3 == v5) | (v4 == v5))
        cd = (120 * ((v1 < v0) + (v2 < v0) + (v3 < v0) + (v4 < v0) + (v5 < v0))
              + 24 * ((v2 < v1) + (v3 < v1) + (v4 < v1) + (v5 < v1))
              + 6 * ((v3 < v2) + (v4 < v2) + (v5 < v2))
              + 2 * ((v4 < v3) + (v5 < v3))
              + 1 * ((v5 < v4)))
        code[k] = 720 if bad else cd
        tied += eq & ~bad
    return tied


@nb.njit(cache=True, nogil=True)
def codes7(x, s, m, delay, code):
    tied = 0
    for k in range(m):
        t = s + k
        v0 = x[t]
        v1 = x[t + 1 * delay]
        v2 = x[t + 2 * delay]
        v3 = x[t + 3 * delay]
        v4 = x[t + 4 * delay]
        v5 = x[t + 5 * delay]
        v6 = x[t + 6 * delay]
        bad = ((v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3) | (v4 != v4) |
              (v5 != v5) | (v6 != v6))
        eq = ((v0 == v1) | (v0 == v2) | (v0 == v3) | (v0 == v4) | (v0 == v5) |
              (v0 == v6) | (v1 == v2) | (v1 == v3) | (v1 == v4) | (v1 == v5) |
              (v1 == v6) | (v2 == v3) | (v2 == v4) | (v2 == v5) | (v2 == v6) |
              (v3 == v4) | (v3 == v5) | (v3 == v6) | (v4 == v5) | (v4 == v6) |
              (v5 == v6))
        cd = (720 * ((v1 < v0) + (v2 < v0) + (v3 < v0) + (v4 < v0) + (v5 < v0) + (v6 < v0))
              + 120 * ((v2 < v1) + (v3 < v1) + (v4 < v1) + (v5 < v1) + (v6 < v1))
              + 24 * ((v3 < v2) + (v4 < v2) + (v5 < v2) + (v6 < v2))
              + 6 * ((v4 < v3) + (v5 < v3) + (v6 < v3))
              + 2 * ((v5 < v4) + (v6 < v4))
              + 1 * ((v6 < v5)))
        code[k] = 5040 if bad else cd
        tied += eq & ~bad
    return tied


@nb.njit(cache=True, nogil=True)
def codes7_1(x, s, m, delay, code):
    tied = 0
    for k in range(m):
        t = s + k
        v0 = x[t]
        v1 = x[t + 1]
        v2 = x[t + 2]
        v3 = x[t + 3]
        v4 = x[t + 4]
        v5 = x[t + 5]
        v6 = x[t + 6]
        bad = ((v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3) | (v4 != v4) |
              (v5 != v5) | (v6 != v6))
        eq = ((v0 == v1) | (v0 == v2) | (v0 == v3) | (v0 == v4) | (v0 == v5) |
              (v0 == v6) | (v1 == v2) | (v1 == v3) | (v1 == v4) | (v1 == v5) |
              (v1 == v6) | (v2 == v3) | (v2 == v4) | (v2 == v5) | (v2 == v6) |
              (v3 == v4) | (v3 == v5) | (v3 == v6) | (v4 == v5) | (v4 == v6) |
              (v5 == v6))
        cd = (720 * ((v1 < v0) + (v2 < v0) + (v3 < v0) + (v4 < v0) + (v5 < v0) + (v6 < v0))
              + 120 * ((v2 < v1) + (v3 < v1) + (v4 < v1) + (v5 < v1) + (v6 < v1))
              + 24 * ((v3 < v2) + (v4 < v2) + (v5 < v2) + (v6 < v2))
              + 6 * ((v4 < v3) + (v5 < v3) + (v6 < v3))
              + 2 * ((v5 < v4) + (v6 < v4))
              + 1 * ((v6 < v5)))
        code[k] = 5040 if bad else cd
        tied += eq & ~bad
    return tied
# -- end generated --


def _generate(ns=range(3, 8)) -> str:
    from math import factorial
    out = []
    for n, unit in ((n, unit) for n in ns for unit in (False, True)):
        # unit: delay 1 written in, so the loads are contiguous and the loop vectorises
        # (measured: a run-time delay keeps it scalar, 4x slower on cold data)
        v = [f"v{i}" for i in range(n)]
        lines = [f"@nb.njit(cache=True, nogil=True)",
                 f"def codes{n}{'_1' if unit else ''}(x, s, m, delay, code):",
                 f"    tied = 0",
                 f"    for k in range(m):",
                 f"        t = s + k"]
        for i in range(n):
            lines.append(("        v0 = x[t]" if i == 0 else f"        v{i} = x[t + {i}]") if unit
                         else f"        v{i} = x[t + {i} * delay]" if i else "        v0 = x[t]")
        pad = "\n              "
        nans = [f"({a} != {a})" for a in v]
        bad = (" |" + pad).join(" | ".join(nans[i:i + 5]) for i in range(0, n, 5))
        pairs = [f"({v[i]} == {v[j]})" for i in range(n) for j in range(i + 1, n)]
        eq = (" |" + pad).join(" | ".join(pairs[i:i + 5]) for i in range(0, len(pairs), 5))
        terms = []
        for i in range(n - 1):
            li = " + ".join(f"({v[j]} < {v[i]})" for j in range(i + 1, n))
            terms.append(f"{factorial(n - 1 - i)} * ({li})")
        lines.append(f"        bad = ({bad})")
        lines.append(f"        eq = ({eq})")
        lines.append(f"        cd = ({(pad + '+ ').join(terms)})")
        lines.append(f"        code[k] = {factorial(n)} if bad else cd")
        lines.append(f"        tied += eq & ~bad")
        lines.append(f"    return tied")
        out.append("\n".join(lines))
    return "\n\n\n".join(out) + "\n"


if __name__ == "__main__":
    from pathlib import Path
    path = Path(__file__)
    text = path.read_text()
    start = text.index("# -- generated --\n") + len("# -- generated --\n")
    end = text.index("# -- end generated --")
    path.write_text(text[:start] + _generate() + text[end:])
