"""Regenerate tests/reference/ordpy_features.npz: ordpy's values for physim's ordpy features.

Run with a Python that has ordpy (physim's tests do not need it):

    python3 -m venv /tmp/venv-ordpy && /tmp/venv-ordpy/bin/pip install ordpy numpy
    /tmp/venv-ordpy/bin/python tests/reference/make_ordpy_features.py

The inputs are stored with the values, so the tests do not depend on a random
generator's stream. Keys: "<function>/<case>/<what>".
"""
from pathlib import Path

import numpy as np
import ordpy

rng = np.random.default_rng(20261202)
T = 3000
x = np.empty(T)
x[0] = 0.1
for k in range(T - 1):
    x[k + 1] = 4 * x[k] * (1 - x[k])
SERIES = {
    "gaussian": rng.standard_normal(T),
    "integers": rng.integers(0, 3, T).astype(float),  # heavily tied
    "logistic": x,
    "sine": np.sin(2 * np.pi * np.arange(T) / 50.37),
}
yy, xx = np.mgrid[0:40, 0:50]
IMAGES = {
    "noise": rng.random((40, 50)),
    "smooth": np.round(np.sin(xx / 4.0) * np.cos(yy / 7.0), 1),  # structured and tied
}
out = {f"input/series/{k}": v for k, v in SERIES.items()}
out.update({f"input/image/{k}": v for k, v in IMAGES.items()})


def net(prefix, result):
    nodes, links, weights = result
    out[prefix + "/links"] = np.array([f"{a}>{b}" for a, b in links])
    out[prefix + "/weights"] = np.asarray(weights, dtype=float)


for name, s in SERIES.items():
    for n in (3, 4, 5):
        for d in (1, 3):
            net(f"ordinal_network/{name}/n{n}/d{d}", ordpy.ordinal_network(s, dx=n, taux=d))
            out[f"global_node_entropy/{name}/n{n}/d{d}"] = ordpy.global_node_entropy(
                s, dx=n, taux=d)
        net(f"ordinal_network_undirected/{name}/n{n}",
            ordpy.ordinal_network(s, dx=n, directed=False))
        net(f"ordinal_network_counts/{name}/n{n}",
            ordpy.ordinal_network(s, dx=n, normalized=False))
        net(f"ordinal_network_nonoverlapping/{name}/n{n}",
            ordpy.ordinal_network(s, dx=n, overlapping=False))
        miss, frac = ordpy.missing_links(s, dx=n)
        out[f"missing_links/{name}/n{n}/links"] = np.array([f"{a}>{b}" for a, b in miss])
        out[f"missing_links/{name}/n{n}/fraction"] = frac
    for n in (3, 4, 5, 6):
        states, frac = ordpy.missing_patterns(s, dx=n)
        out[f"missing_patterns/{name}/n{n}/patterns"] = np.asarray(states, dtype=np.int64)
        out[f"missing_patterns/{name}/n{n}/fraction"] = frac
        for d in (1, 2):
            out[f"fisher_shannon/{name}/n{n}/d{d}"] = np.array(
                ordpy.fisher_shannon(s, dx=n, taux=d))
        _, p = ordpy.ordinal_distribution(s, dx=n)  # the patterns that occur
        out[f"probs/{name}/n{n}/p"] = p
        out[f"probs/{name}/n{n}/pe"] = ordpy.permutation_entropy(p, dx=n, probs=True)
        out[f"probs/{name}/n{n}/hc"] = np.array(ordpy.complexity_entropy(p, dx=n, probs=True))
        out[f"probs/{name}/n{n}/renyi2"] = np.array(
            ordpy.renyi_complexity_entropy(p, alpha=2, dx=n, probs=True))
        out[f"probs/{name}/n{n}/tsallis05"] = np.array(
            ordpy.tsallis_complexity_entropy(p, q=0.5, dx=n, probs=True))
    for n, d, ov in ((3, 1, True), (4, 2, True), (4, 2, False), (5, 1, False)):
        out[f"ordinal_sequence/{name}/n{n}/d{d}/{'ov' if ov else 'nov'}"] = \
            ordpy.ordinal_sequence(s, dx=n, taux=d, overlapping=ov).astype(np.int8)
for n in (3, 4, 5):
    net(f"random_ordinal_network/n{n}", ordpy.random_ordinal_network(dx=n))
net("random_ordinal_network_nonoverlapping/n3", ordpy.random_ordinal_network(dx=3,
                                                                            overlapping=False))
rows = [SERIES["gaussian"], SERIES["logistic"], SERIES["sine"][:2000]]
for n in (3, 4, 5):
    out[f"js_distance/n{n}"] = ordpy.permutation_js_distance(rows, dx=n)
    out[f"js_distance/n{n}/pair"] = ordpy.permutation_js_distance(rows[:2], dx=n)
    out[f"js_distance/n{n}/raw2"] = ordpy.permutation_js_distance(rows, dx=n, base=2,
                                                                  normalized=False)
for name, img in IMAGES.items():
    for dx, dy, tx, ty in ((2, 2, 1, 1), (3, 2, 1, 2), (2, 3, 2, 1), (4, 2, 1, 1)):
        key = f"{name}/{dx}{dy}{tx}{ty}"
        out[f"image_complexity_entropy/{key}"] = np.array(
            ordpy.complexity_entropy(img, dx=dx, dy=dy, taux=tx, tauy=ty))
        out[f"image_renyi/{key}"] = np.array(
            ordpy.renyi_complexity_entropy(img, alpha=2, dx=dx, dy=dy, taux=tx, tauy=ty))
        out[f"image_fisher_shannon/{key}"] = np.array(
            ordpy.fisher_shannon(img, dx=dx, dy=dy, taux=tx, tauy=ty))
        states, p = ordpy.ordinal_distribution(img, dx=dx, dy=dy, taux=tx, tauy=ty)
        out[f"image_distribution/{key}/patterns"] = np.array(
            ["".join(map(str, s)) for s in states])
        out[f"image_distribution/{key}/p"] = p
        for ov in (True, False):
            out[f"image_ordinal_sequence/{key}/{'ov' if ov else 'nov'}"] = \
                ordpy.ordinal_sequence(img, dx=dx, dy=dy, taux=tx, tauy=ty,
                                       overlapping=ov).astype(np.int8)
    for con in ("all", "horizontal", "vertical"):
        net(f"image_ordinal_network/{name}/{con}",
            ordpy.ordinal_network(img, dx=2, dy=2, connections=con))
    net(f"image_ordinal_network_undirected/{name}",
        ordpy.ordinal_network(img, dx=2, dy=2, directed=False))
    out[f"image_global_node_entropy/{name}"] = ordpy.global_node_entropy(img, dx=2, dy=2)

path = Path(__file__).with_name("ordpy_features.npz")
np.savez_compressed(path, **out)
print(f"{path}: {len(out)} arrays, ordpy {ordpy.__version__ if hasattr(ordpy, '__version__') else ''}")
