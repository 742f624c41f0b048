"""A local, permutation-symmetric neural score for interacting AOUPs (optional, ``physim[ml]``).

Following Boffi & Vanden-Eijnden (PNAS 2024), the score of particle i depends on
its own propulsion and on the neighbours within a cutoff r_c, through a network
shared by all particles and pairs, so one model applies at any N. Here it is a
correction to the closed-form linear score (``LinearScore``, the "propulsion+force+hessian"
basis), with its last layer started at zero, so training starts from the linear fit:

    s_{g_i} = s_lin,i + d(|g_i|^2, rho_i) g_i
              + sum_{j: r_ij < r_c} f_c(r_ij) [a_ij rhat_ij + b_ij g_j + c_ij g_i],

(a, b, c)_ij = MLP(radial basis of r_ij, rhat.g_i, rhat.g_j, g_i.g_j, |g_i|^2, |g_j|^2,
rho_i, rho_j), d = MLP(|g_i|^2, rho_i), rho_i = sum_j f_c(r_ij) a local density and
f_c the cosine cutoff. Every input is a rotation invariant and every output term
an equivariant vector, so the score rotates with the configuration.

Training minimises the implicit score-matching loss E sum_i [|s_i|^2 / 2 + div_{g_i} s_i]
(noise on g only, the paper's MIPS convention) with Adam (optax). The divergence is
exact at the cost of two forward-mode products: g_i enters particle i's own terms
through a separate argument from the g_j gathered for its neighbours, so a tangent
on that argument gives d s_i / d g_i and nothing of the neighbours.
"""
from __future__ import annotations

import json
import math
import os
import time

import numpy as np

from .score import LinearScore


def _need_jax():
    # CPU unless the user chose otherwise (and no noisy probing for TPUs)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        import jax
        import optax
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("the neural score needs JAX and optax: pip install 'physim[ml]'") from exc
    jax.config.update("jax_enable_x64", False)
    return jax, optax


def neighbours(x, L, rc, K=None):
    """Padded neighbour lists within rc in a periodic box: (index (N, K), r_ij = x_j - x_i (N, K, 2),
    mask (N, K)). Padding points at the particle itself with mask 0."""
    from scipy.spatial import cKDTree
    x = np.mod(np.asarray(x, float), L)
    pairs = cKDTree(x, boxsize=L).query_pairs(rc, output_type="ndarray")
    N = len(x)
    i = np.concatenate([pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.argsort(i, kind="stable")
    i, j = i[order], j[order]
    counts = np.bincount(i, minlength=N)
    kmax = int(counts.max()) if len(counts) else 0
    if K is None:
        K = max(4, -(-kmax // 4) * 4)
    elif kmax > K:
        raise ValueError(f"a particle has {kmax} neighbours within r_c = {rc}, more than K = {K}")
    slot = np.arange(len(i)) - np.repeat(np.cumsum(counts) - counts, counts)
    idx = np.repeat(np.arange(N)[:, None], K, 1)
    mask = np.zeros((N, K), np.float32)
    idx[i, slot] = j
    mask[i, slot] = 1.0
    d = x[idx] - x[:, None, :]
    d -= L * np.round(d / L)
    return idx, d, mask


def _mlp_init(rng, sizes, zero_last):
    layers = []
    for k, (m, n) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.standard_normal((m, n)) * np.sqrt(1.0 / m)
        if zero_last and k == len(sizes) - 2:
            w = np.zeros((m, n))
        layers.append((w.astype(np.float32), np.zeros(n, np.float32)))
    return layers


class NeuralScore:
    """Score model s_g(x, g) = linear basis + local equivariant network (see the module text).

    base : a fitted LinearScore (outputs g0, g1) the network corrects.
    rc : interaction cutoff of the network in box units (default 2 particle diameters).
    width, depth : hidden layer width and number of hidden layers of the pair network.
    """

    outputs = ("g0", "g1")

    def __init__(self, base: LinearScore, rc: float, v0: float, width: int = 32, depth: int = 2,
                 n_rbf: int = 8, scale: float = 1.0, seed: int = 0):
        if base.theta is None or tuple(base.outputs) != self.outputs:
            raise ValueError("base: expected a fitted LinearScore with outputs ('g0', 'g1')")
        if not (rc > 0 and width >= 1 and depth >= 1 and n_rbf >= 1):
            raise ValueError(f"rc = {rc}, width = {width}, depth = {depth}, n_rbf = {n_rbf}: "
                             "expected rc > 0 and positive sizes")
        if not (v0 > 0 and math.isfinite(v0)):
            raise ValueError(f"model.v0 = {v0}: the neural score needs v0 > 0 (its inputs are "
                             "g + F / v0); at v0 = 0 the system is at equilibrium (EPR 0): "
                             "use entropy_production")
        self.base, self.rc, self.width, self.depth, self.n_rbf = base, float(rc), width, depth, n_rbf
        self.v0, self.scale = float(v0), float(scale)
        rng = np.random.default_rng(seed)
        n_in = n_rbf + 7
        self.params = {"pair": _mlp_init(rng, [n_in] + [width] * depth + [3], True),
                       "node": _mlp_init(rng, [2, width, 1], True)}
        self.features = f"neural({base.features})"
        self.names = base.names
        self.history = []
        self.first_heldout = None  # set by train_neural_score: the first snapshot not trained on
        self._fns = None

    @property
    def theta(self):
        return self.base.theta

    @property
    def needs(self) -> tuple:
        return tuple(dict.fromkeys(self.base.needs + ("positions",)))

    # ---- the network, in JAX -------------------------------------------------------------
    def _build(self):
        jax, optax = _need_jax()
        jnp = jax.numpy
        rc, n_rbf, scale = self.rc, self.n_rbf, np.float32(self.scale)
        mu = jnp.linspace(0.0, rc, n_rbf)
        width_rbf = rc / n_rbf

        def mlp(layers, h):
            for w, b in layers[:-1]:
                h = jax.nn.silu(h @ w + b)
            w, b = layers[-1]
            return h @ w + b

        def s_nn(params, g_self, g_all, f, idx, d, mask):
            # g_self (B, N, 2) enters only particle i's own terms; g_all is gathered for the
            # neighbours. w = g + F / v0 is the velocity in units of v0.
            w_self, w_all = g_self + f, g_all + f
            r = jnp.sqrt(jnp.sum(d * d, -1) + (1 - mask))
            rhat = d / r[..., None] * mask[..., None]
            fc = 0.5 * (jnp.cos(jnp.pi * jnp.minimum(r / rc, 1.0)) + 1.0) * mask
            rho = fc.sum(-1)
            wj = jax.vmap(lambda w, i: w[i])(w_all, idx)
            rho_j = jax.vmap(lambda p, i: p[i])(rho, idx)
            wi = w_self[:, :, None, :]
            ni = jnp.sum(w_self * w_self, -1)
            inp = jnp.concatenate(
                [jnp.exp(-(((r[..., None] - mu) / width_rbf) ** 2)),
                 jnp.stack([jnp.sum(rhat * wi, -1), jnp.sum(rhat * wj, -1), jnp.sum(wi * wj, -1),
                            jnp.broadcast_to(ni[..., None], r.shape), jnp.sum(wj * wj, -1),
                            jnp.broadcast_to(rho[..., None], r.shape), rho_j], -1)], -1)
            abc = mlp(params["pair"], inp) * fc[..., None]
            pair = (abc[..., 0:1] * rhat + abc[..., 1:2] * wj + abc[..., 2:3] * wi).sum(-2)
            node = mlp(params["node"], jnp.stack([ni, rho], -1))
            return scale * (pair + node * w_self)

        def loss(params, s_lin, g, f, idx, d, mask):
            net = lambda gs: s_nn(params, gs, g, f, idx, d, mask)  # noqa: E731
            s, j0 = jax.jvp(net, (g,), (jnp.zeros_like(g).at[..., 0].set(1.0),))
            _, j1 = jax.jvp(net, (g,), (jnp.zeros_like(g).at[..., 1].set(1.0),))
            s = s + s_lin
            div = j0[..., 0] + j1[..., 1]
            return jnp.mean(0.5 * jnp.sum(s * s, -1) + div)

        self._jax, self._optax = jax, optax
        self._fns = {"s_nn": jax.jit(s_nn), "loss": jax.jit(loss), "loss_raw": loss}

    def _prepare(self, x, g, extra, L, K):
        idx, d, mask = neighbours(x, L, self.rc, K)
        s = self.base(None, g, extra)
        s_lin = np.stack([s["g0"], s["g1"]], -1)
        f = extra["F"] / self.v0
        return idx, d.astype(np.float32), mask, s_lin.astype(np.float32), f.astype(np.float32)

    # ---- training ------------------------------------------------------------------------
    def train(self, X, G, drift, *, steps: int = 2000, batch: int = 8, lr: float = 3e-3,
              validation=None, seed: int = 0, log_every: int = 100, callback=None):
        """Minimise the implicit score-matching loss on snapshots X, G (S, N, 2) of one run.

        drift : the run's ActiveDrift (box, forces and Hessian products for the linear part).
        validation : optional (X, G) held out; its loss is logged in ``history``.
        callback : optional ``callback(score, step)``, called at every logged step with the
        score holding the weights reached so far (for convergence curves on other data).
        Returns self; ``history`` holds (step, train loss, validation loss, seconds).
        """
        if not (steps >= 1 and batch >= 1 and lr > 0):
            raise ValueError(f"steps = {steps}, batch = {batch}, lr = {lr}: expected positive values")
        if self._fns is None:
            self._build()
        jax, optax = self._jax, self._optax
        jnp = jax.numpy
        prep = self._dataset(X, G, drift)
        val = self._dataset(*validation, drift) if validation is not None else None
        opt = optax.adam(optax.cosine_decay_schedule(lr, steps, alpha=0.05))
        params = jax.tree_util.tree_map(jnp.asarray, self.params)
        state = opt.init(params)

        @jax.jit
        def update(params, state, *data):
            value, grads = jax.value_and_grad(self._fns["loss_raw"])(params, *data)
            upd, state = opt.update(grads, state, params)
            return optax.apply_updates(params, upd), state, value

        rng = np.random.default_rng(seed)
        S = len(prep[0])
        t0 = time.perf_counter()
        run = []
        for step in range(1, steps + 1):
            pick = rng.choice(S, size=min(batch, S), replace=False)
            params, state, value = update(params, state, *(a[pick] for a in prep))
            run.append(float(value))
            if step % log_every == 0 or step == steps:
                v = self._loss(params, val) if val is not None else float("nan")
                self.history.append((step, float(np.mean(run)), v, time.perf_counter() - t0))
                run = []
                if callback is not None:
                    self.params = jax.tree_util.tree_map(np.asarray, params)
                    callback(self, step)
        self.params = jax.tree_util.tree_map(np.asarray, params)
        return self

    def _dataset(self, X, G, drift):
        items = []
        K = None
        for x, g in zip(X, G):
            F = drift.force(x)
            extra = drift.extra(x, g, F, self.base.needs)
            items.append(self._prepare(x, g, extra, drift.L, None))
            K = max(K or 0, items[-1][0].shape[1])
        out = [[], [], [], [], [], []]
        for (idx, d, mask, s_lin, f), g in zip(items, G):
            pad = K - idx.shape[1]
            if pad:
                idx = np.concatenate([idx, np.repeat(np.arange(len(idx))[:, None], pad, 1)], 1)
                d = np.concatenate([d, np.zeros((len(d), pad, 2), np.float32)], 1)
                mask = np.concatenate([mask, np.zeros((len(mask), pad), np.float32)], 1)
            for k, a in enumerate((s_lin, np.asarray(g, np.float32), f, idx, d, mask)):
                out[k].append(a)
        return tuple(np.stack(a) for a in out)

    def _loss(self, params, data, chunk: int = 16):
        vals = [float(self._fns["loss"](params, *(a[k:k + chunk] for a in data)))
                * len(data[0][k:k + chunk]) for k in range(0, len(data[0]), chunk)]
        return sum(vals) / len(data[0])

    def loss(self, X, G, drift) -> float:
        """Implicit score-matching loss per particle on snapshots (lower is closer to the score)."""
        if self._fns is None:
            self._build()
        return self._loss(self.params, self._dataset(X, G, drift))

    # ---- evaluation (the estimator's interface) --------------------------------------------
    def __call__(self, dx, g, extra) -> dict:
        if self._fns is None:
            self._build()
        idx, d, mask, s_lin, f = self._prepare(extra["x"], g, extra, extra["L"], None)
        g32 = np.asarray(g, np.float32)[None]
        s = s_lin + np.asarray(self._fns["s_nn"](self.params, g32, g32, f[None], idx[None],
                                                 d[None], mask[None]))[0]
        return {"g0": s[:, 0].astype(float), "g1": s[:, 1].astype(float)}

    # ---- persistence -----------------------------------------------------------------------
    def save(self, path):
        """Write the model (linear base and network weights) to an .npz file."""
        arrays = {f"{part}_{k}_{wb}": a for part in ("pair", "node")
                  for k, layer in enumerate(self.params[part]) for wb, a in zip("wb", layer)}
        meta = {"rc": self.rc, "v0": self.v0, "scale": self.scale, "width": self.width, "depth": self.depth, "n_rbf": self.n_rbf,
                "base_features": self.base.features, "base_outputs": list(self.base.outputs)}
        np.savez(path, meta=json.dumps(meta), base_theta=self.base.theta, **arrays)

    @classmethod
    def load(cls, path) -> "NeuralScore":
        z = np.load(path)
        meta = json.loads(str(z["meta"]))
        base = LinearScore(meta["base_features"], tuple(meta["base_outputs"]))
        base.theta = z["base_theta"]
        self = cls(base, meta["rc"], meta["v0"], meta["width"], meta["depth"], meta["n_rbf"],
                   meta["scale"])
        for part in ("pair", "node"):
            self.params[part] = [(z[f"{part}_{k}_w"], z[f"{part}_{k}_b"])
                                 for k in range(len(self.params[part]))]
        return self


def train_neural_score(ds, *, skip: int = 0, holdout: float = 0.25, rc: float | None = None,
                       width: int = 32, depth: int = 2, steps: int = 2000,
                       batch: int | None = None, lr: float = 3e-3, seed: int = 0,
                       max_validation: int | None = None,
                       base_features: str = "propulsion+force+hessian", log_every: int | None = None,
                       callback=None):
    """Fit the linear base and train a NeuralScore on the snapshots of an AOUP run.

    The last ``holdout`` fraction of the snapshots (after ``skip``) is kept out of
    training: its loss is logged in ``history`` and it is the part to evaluate the EPR
    on (``entropy_production(ds.isel(time=slice(score.first_heldout, None)), score=score)``),
    so the plug-in EPR carries no fit bias. ``batch`` (snapshots per Adam step) defaults
    to about 1024 particles per step, ``max_validation`` to about 16384 held-out particles.
    ``base_features``: the LinearScore basis the network corrects (e.g.
    "propulsion+force+hessian+hessian2+contact2", which captures more at the MIPS state
    point; README). ``log_every`` (default steps / 20) and ``callback`` are passed to
    :meth:`NeuralScore.train`.
    Returns the trained NeuralScore.
    """
    from ...solvers.active.drift import ActiveDrift
    from .estimator import _snapshots
    drift = ActiveDrift.from_output(ds)
    if drift.kind != "aoup":
        raise ValueError(f"model.kind = {drift.kind!r}: the neural score is for the AOUP (its "
                         "inputs are g + F / v0); for ABP use entropy_production")
    if not drift.v0 > 0:
        raise ValueError(f"model.v0 = {drift.v0}: the neural score needs v0 > 0 (its inputs "
                         "are g + F / v0); at v0 = 0 the system is at equilibrium (EPR 0): "
                         "use entropy_production")
    if drift.eps > 0 or drift.forces is None:
        raise ValueError("the neural score is for interacting AOUPs with noise on g only "
                         f"(model.epsilon = 0, an interaction); this run has epsilon = {drift.eps}"
                         f" and interaction {'none' if drift.forces is None else 'set'}")
    if "replica" in ds.dims:
        raise ValueError("train on one replica: ds.isel(replica=r)")
    if not 0 < holdout < 1:
        raise ValueError(f"holdout = {holdout}: expected a fraction in (0, 1)")
    X, G = (_snapshots(ds[n], skip) for n in ("position", "propulsion"))
    n_train = int(round(len(X) * (1 - holdout)))
    if n_train < 1 or n_train >= len(X):
        raise ValueError(f"{len(X)} snapshots after skip = {skip}: too few to hold out "
                         f"{holdout:.0%} and train on the rest")
    N = X.shape[1]
    batch = max(1, 1024 // N) if batch is None else batch
    max_validation = max(1, 16384 // N) if max_validation is None else max_validation
    lin = LinearScore(base_features, ("g0", "g1"))
    for x, g in zip(X[:n_train], G[:n_train]):
        lin.accumulate(None, g, drift.extra(x, g, drift.force(x), lin.needs))
    lin.fit()
    p = json.loads(ds.attrs["parameters"])
    inter = p["interaction"]
    size = 2 * inter["radius"] if inter["kind"] == "soft" else inter["sigma"]
    # the network's outputs in units of the linear score's size
    s = [lin(None, g, drift.extra(x, g, drift.force(x), lin.needs)) for x, g in
         zip(X[:n_train][:8], G[:n_train][:8])]
    scale = float(np.sqrt(np.mean([np.mean(si["g0"] ** 2 + si["g1"] ** 2) / 2 for si in s])))
    score = NeuralScore(lin, 2.0 * size if rc is None else rc, drift.v0, width, depth,
                        scale=scale, seed=seed)
    val = (X[n_train:][:max_validation], G[n_train:][:max_validation])
    score.train(X[:n_train], G[:n_train], drift, steps=steps, batch=batch, lr=lr,
                validation=val, seed=seed, callback=callback,
                log_every=max(1, steps // 20) if log_every is None else log_every)
    score.first_heldout = skip + n_train
    return score
