"""Case schema of the active-matter solver (self-propelled particles in a 2-D box)."""
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
    return problems


SCHEMA = Schema("active", SECTIONS, checks=[_checks])
