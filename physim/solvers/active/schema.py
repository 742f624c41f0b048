"""Case schema of the active-matter solver (self-propelled particles in a 2-D box)."""
import logging
import math

from ...cases import FRAME_OUTPUT, REQUIRED, Param, Schema, Variants
from ...inputs import Input, source_kinds

MODEL = Variants("kind", {
    "aoup": {
        "v0": Param(REQUIRED, float, "self-propulsion speed", min=0),
        "gamma": Param(REQUIRED, float, "relaxation rate of the propulsion g (persistence "
                       "time 1/gamma)", min=0, min_open=True),
        "epsilon": Param(0.0, float, "translational diffusivity (0: noise on g only, the "
                         "paper's MIPS runs)", min=0),
    },
    "abp": {
        "v0": Param(REQUIRED, float, "self-propulsion speed", min=0),
        "Dr": Param(REQUIRED, float, "rotational diffusivity", min=0, min_open=True),
        "epsilon": Param(0.0, float, "translational diffusivity", min=0),
    },
}, doc="aoup: active Ornstein-Uhlenbeck particles (Boffi & Vanden-Eijnden 2024); "
       "abp: active Brownian particles")

INTERACTION = Variants("kind", {
    "soft": {"k": Param(1.0, float, "stiffness", min=0),
             "beta": Param(7.5, float, "softplus sharpness", min=0, min_open=True),
             "radius": Param(1.0, float, "particle radius a (contact at 2a)", min=0,
                             min_open=True),
             "tol": Param(1e-8, float, "force tail (relative to k) at the cutoff", min=1e-16,
                          max=1e-2)},
    "wca": {"epsilon": Param(1.0, float, "WCA energy", min=0, min_open=True),
            "sigma": Param(1.0, float, "WCA diameter", min=0, min_open=True)},
    "none": {},
}, doc="pair force: soft = k softplus_beta(2a - r) (the paper's), wca, or none")

_GIVEN = {
    "seed": Param(0, int, "seed of numpy default_rng([seed, r]) for the noise of every step "
                  "(and for g or theta when the source has none); not the source run's: that "
                  "would replay its noise", min=0),
    "per_replica": Param(False, bool, "with ensemble.replicas = R > 1, true: one configuration "
                         "per replica, dims (replica, particle, dim), e.g. the last snapshot "
                         "of a run with R replicas; false: one configuration for all of them"),
}

INITIAL = Variants("kind", {
    "random": {
        "seed": Param(0, int, "seed of numpy default_rng for positions and noise", min=0),
        "spread": Param(0.0, float, "0: uniform in the box; > 0: Gaussian of this width "
                        "at the centre (trapped systems)", min=0),
    },
    **source_kinds(["position", "propulsion", "orientation"], _GIVEN),
}, default="random", doc="initial state: random (drawn from the seed), array (from the Python "
   "API) or file (a snapshot of a physim output, e.g. to go on at other parameters; its "
   "variables position and propulsion or orientation are read by these names)")

# what a case can bring instead of the random start (see physim.inputs)
INPUTS = {
    "position": Input("initial", "particle positions in the box [0, L)^2, dims (particle, dim) "
                      "(with initial.per_replica: (replica, particle, dim))"),
    "propulsion": Input("initial", "AOUP propulsion g, dims (particle, dim) like position; "
                        "default: drawn from N(0, 1), its stationary law", required=False),
    "orientation": Input("initial", "ABP heading theta in rad, dims (particle,) (with "
                         "initial.per_replica: (replica, particle)); default: drawn uniform "
                         "in [0, 2 pi)", required=False),
}

SECTIONS = {
    "model": MODEL,
    "interaction": INTERACTION,
    "system": {
        "N": Param(REQUIRED, int, "number of particles", min=1, max=10 ** 8),
        "phi": Param(0.0, float, "packing fraction N pi a^2 / L^2 (sets L; 0: give L)",
                     min=0, max=1.2),
        "L": Param(0.0, float, "box side (periodic square); used when phi = 0", min=0),
        "trap": Param(0.0, float, "harmonic trap stiffness A: force -A (x - centre)", min=0),
    },
    "initial": INITIAL,
    "time": {
        "dt": Param(REQUIRED, float, "time step", min=0, min_open=True),
        "end": Param(REQUIRED, float, "end time", min=0, min_open=True),
    },
    "output": {
        "every": Param(REQUIRED, float, "time between snapshots", min=0, min_open=True),
        **FRAME_OUTPUT,
    },
    "ensemble": {
        "replicas": Param(1, int, "independent copies of the system (seeded default_rng([seed, "
                          "r])), spread over MPI ranks", min=1, max=100000),
    },
    "numerics": {
        "skin": Param(0.5, float, "Verlet-list skin", min=0, min_open=True),
    },
}


def _checks(p):
    problems = []
    s = p["system"]
    if s["phi"] == 0 and s["L"] == 0:
        problems.append("system: give the packing fraction phi or the box side L")
    if s["phi"] > 0 and s["L"] > 0:
        problems.append("system: give phi or L, not both")
    if s["phi"] > 0 and p["interaction"]["kind"] == "none":
        problems.append("system.phi: needs a particle size; with interaction.kind = 'none' give L")
    ini = p["initial"]
    if ini["kind"] != "random":
        if ini["per_replica"] and p["ensemble"]["replicas"] == 1:
            problems.append("initial.per_replica: needs ensemble.replicas > 1 (one "
                            "configuration per replica)")
        if ini["kind"] == "file" and ini["interpolate"]:
            problems.append("initial.interpolate: particles are not resampled; the file must "
                            "hold system.N particles")
        if ini["kind"] == "file" and ini["per_replica"] and ini["member"] is not None:
            problems.append("initial: give member (one replica's configuration for all) or "
                            "per_replica = true (each replica its own), not both")
    dt, every = p["time"]["dt"], p["output"]["every"]
    if abs(every / dt - round(every / dt)) > 1e-9 * every / dt:
        problems.append(f"output.every: {every} must be a whole number of steps of time.dt = {dt}")
    problems += stability(p)
    return problems


log = logging.getLogger("physim")

HEX_PACKING = math.pi / (2 * math.sqrt(3))  # 0.9069: close packing of disks
# Euler-Maruyama for dx = -lambda x dt: x -> (1 - lambda dt) x, stable for lambda dt < 2.
# The trap (lambda = A) is refused beyond A dt = 1, where the map overshoots the centre
# every step (multiplier < 0) and the stationary variance eps / (A (1 - A dt / 2)) is
# twice the exact one; A dt > 0.1 warns (variance bias A dt / (2 - A dt) > 5 %).
TRAP_REFUSE, TRAP_WARN = 1.0, 0.1
# Soft disks: U''(r) = k sigmoid(beta (2a - r)) <= k (forces.py: the force's slope is
# -k sigmoid), so the stiffest mode of disks in contact, the M point of the hexagonal
# lattice's dynamical matrix, has curvature 6 k: stable only for 6 k dt < 2.
SOFT_REFUSE, SOFT_WARN = 1.0 / 3.0, 0.1
WCA_CURVATURE = 456.0  # U''(sigma) = 24 * 19 eps / sigma^2; closer approaches are stiffer
# free displacement per step: AOUP speed v0 |g_c| with |g_c| <= 4 (Gaussian, 6e-5 out),
# thermal 4 sqrt(2 eps dt); refused beyond one particle radius (pairs jump through each
# other), warned beyond a tenth of it
MOVE_REFUSE, MOVE_WARN = 1.0, 0.1


def _size(p):
    inter = p["interaction"]
    return {"soft": lambda: inter["radius"], "wca": lambda: inter["sigma"] / 2}.get(
        inter["kind"], lambda: None)()


def _move(p, dt):
    m = p["model"]
    c = 4.0 if m["kind"] == "aoup" else 1.0
    return c * m["v0"] * dt + 4.0 * math.sqrt(2.0 * m["epsilon"] * dt)


def _largest_move_dt(p, dist):
    """The dt at which the free displacement per step equals ``dist``."""
    m = p["model"]
    c1 = (4.0 if m["kind"] == "aoup" else 1.0) * m["v0"]
    c2 = 4.0 * math.sqrt(2.0 * m["epsilon"])
    if c1 == 0:
        return (dist / c2) ** 2 if c2 > 0 else math.inf
    s = (-c2 + math.sqrt(c2 * c2 + 4 * c1 * dist)) / (2 * c1)
    return s * s


def stability(p: dict, warn: bool = True) -> list[str]:
    """Euler-Maruyama bounds of the case: refusals (one line each, with the largest
    allowed time.dt); the accuracy bands and close packing are logged as warnings."""
    problems, warnings = [], []
    dt, m, s, inter = p["time"]["dt"], p["model"], p["system"], p["interaction"]
    A = s["trap"]
    if A > 0:
        if A * dt > TRAP_REFUSE:
            problems.append(f"system.trap: A dt = {A * dt:.3g} > {TRAP_REFUSE:g} (Euler-Maruyama "
                            f"overshoots the trap centre every step; unstable at 2): time.dt = "
                            f"{dt:g} too large, use dt <= {TRAP_REFUSE / A:.4g}")
        elif A * dt > TRAP_WARN:
            warnings.append(f"system.trap: A dt = {A * dt:.3g} > {TRAP_WARN:g}: the stationary "
                            f"variance is {A * dt / (2 - A * dt):.0%} too large; dt <= "
                            f"{TRAP_WARN / A:.4g} keeps it within 5 %")
    if inter["kind"] == "soft" and inter["k"] > 0:
        k = inter["k"]
        if k * dt > SOFT_REFUSE:
            problems.append(f"interaction.k: k dt = {k * dt:.3g} > 1/3 (Euler-Maruyama is "
                            f"unstable for disks in contact, whose stiffest mode has curvature "
                            f"6 k): time.dt = {dt:g} too large, use dt <= {SOFT_REFUSE / k:.4g}")
        elif k * dt > SOFT_WARN:
            warnings.append(f"interaction.k: k dt = {k * dt:.3g} > {SOFT_WARN:g}: contacts are "
                            f"resolved coarsely; dt <= {SOFT_WARN / k:.4g} is the paper's k dt")
    if inter["kind"] == "wca":
        c = WCA_CURVATURE * inter["epsilon"] / inter["sigma"] ** 2
        if 6 * c * dt > 2:
            # a warning: the curvature grows without bound below sigma, so no dt is safe for
            # every configuration; the run stops if the forces are not resolved
            warnings.append(f"interaction.epsilon: the WCA curvature at r = sigma is 456 eps / "
                            f"sigma^2 = {c:.4g}; close-packed disks are unstable for time.dt > "
                            f"{2 / (6 * c):.4g} (given {dt:g})")
    a = _size(p)
    if a is not None:
        move = _move(p, dt)
        kind = "4 v0 dt" if m["kind"] == "aoup" else "v0 dt"
        what = (f"model.v0/epsilon: free displacement per step {kind} + 4 sqrt(2 eps dt) = "
                f"{move:.3g}")
        if move > MOVE_REFUSE * a:
            problems.append(f"{what} > the particle radius {a:g} (pairs jump through each other): "
                            f"time.dt = {dt:g} too large, use dt <= "
                            f"{_largest_move_dt(p, MOVE_REFUSE * a):.4g}")
        elif move > MOVE_WARN * a:
            warnings.append(f"{what} > {MOVE_WARN:g} of the particle radius {a:g}; dt <= "
                            f"{_largest_move_dt(p, MOVE_WARN * a):.4g} resolves collisions")
    rate = m["gamma"] if m["kind"] == "aoup" else m["Dr"]
    if rate * dt > 1:
        name = "model.gamma" if m["kind"] == "aoup" else "model.Dr"
        warnings.append(f"{name}: {name[6:]} dt = {rate * dt:.3g} > 1: the propulsion "
                        f"decorrelates within a step (exact in g, but x sees it frozen over "
                        f"the step); dt <= {1 / rate:.4g} resolves the persistence")
    if s["phi"] > HEX_PACKING:
        warnings.append(f"system.phi: {s['phi']:g} is above hexagonal close packing "
                        f"{HEX_PACKING:.4f}: every particle overlaps its neighbours"
                        + ("; WCA forces there are very stiff" if inter["kind"] == "wca" else ""))
    if warn:
        for w in warnings:
            log.warning(w)
    return problems


SCHEMA = Schema("active", SECTIONS, checks=[_checks])
