"""What the frame expects of a solver, written once: the runner, the output, restart and
MPI code rely on this and nothing else.

A solver is a package under ``physim.solvers`` registered in ``SOLVERS`` that exposes

``SCHEMA``
    a :class:`physim.cases.Schema`: every case key, validated before any work;
``Simulation``
    a class following :class:`Simulation` below (declared by subclassing it), built
    as ``Simulation(params)``, or ``Simulation(params, comm)`` when ``distributed``;
    with ``inputs=`` as well when the solver declares ``INPUTS``;
``INPUTS`` (optional)
    ``{name: physim.inputs.Input}``: what a case may bring instead of the built-in
    kinds (arrays, callables, files; see :mod:`physim.inputs`), or a callable of the
    case returning that dict when the names depend on it (one per species). The
    constructor then
    takes ``inputs`` (a :class:`physim.inputs.Inputs`) and calls
    ``inputs.array(name, coords, dtype)`` for each input its case asks for, with the
    whole grid's coordinates (every rank asks for the same array and keeps its block).

Adding a solver is one folder: ``schema.py`` (SCHEMA, INPUTS), ``simulation.py``
(``class Simulation(contract.Simulation)``), the numerics beside them, an
``__init__.py`` exporting the three, a line in ``SOLVERS``, a case in
``cases/<solver>/`` and tests; the README's "Adding a solver" walks through it.
"""
from __future__ import annotations

from typing import ClassVar, Iterator, Protocol, runtime_checkable

from ..io import Record, Var


@runtime_checkable
class Simulation(Protocol):
    """One run of a solver, from validated parameters to records.

    The frame calls, in order: the layout methods (``times``, ``record_sizes``,
    ``coords``, ``variables``, ``restart_variables``, ``attrs``, ``stats``) to lay the
    whole output out before any step; then ``run`` (or ``run(resume=cp)`` to continue a
    run), writing what it yields and calling ``checkpoint`` and ``progress_info`` at
    the safe points; then ``stats`` and ``summary`` at the end.
    """

    #: True: built on the communicator and split over the MPI ranks
    distributed: ClassVar[bool] = False
    #: distributed only: the dimension the ranks' blocks are stitched along in the master
    #: (several, comma-separated, when each rank holds a block of each: pencils)
    split_dim: str = ""
    #: distributed only: True when the ranks step together (one field in slabs) and so
    #: must stop and checkpoint at the same step; False when each rank's members (an
    #: ensemble, replicas) run on their own
    lockstep: bool = False

    #: the snapshot times; their number is the length of the output's ``time`` axis
    times: object

    def block_offsets(self) -> dict[str, int] | None:
        """Distributed only: ``{dim: first global index}`` of this rank's block of each
        split dimension; None when the blocks of the one ``split_dim`` follow each other
        in rank order."""
        return None

    def coords(self) -> dict[str, tuple]:
        """``{name: (dims, values, attrs)}``: the static coordinates (on a distributed
        run, this rank's block of ``split_dim``)."""
        ...

    def variables(self) -> dict[str, Var]:
        """Every recorded variable; its first dim is a record axis (``time`` or
        ``t_step``); ``units`` and ``long_name`` in its attrs."""
        ...

    def restart_variables(self) -> dict[str, Var]:
        """The arrays of a checkpoint with their shapes (``{}``: the solver cannot
        continue a run, and a stopped run is run again)."""
        ...

    def attrs(self) -> dict:
        """Global attributes of the output (``time_attrs``: the time coordinate's)."""
        ...

    def run(self, resume: dict | None = None) -> Iterator[Record | list[Record] | None]:
        """Yield :class:`physim.io.Record` items (a snapshot, a block of samples, the
        quantities of a step), or a list of those that belong to one step, and ``None``
        at every step boundary in between.

        Whenever it is suspended at a yield the state is consistent: ``checkpoint()``
        may be called and the run stopped there. ``run(resume=cp)`` continues from a dict
        that ``checkpoint()`` returned and yields exactly what the uninterrupted run
        would have yielded after that point, bit for bit. Raising
        :class:`physim.integrate.IntegrationError` stops the run as failed with that
        message; what was written stays readable."""
        ...

    def checkpoint(self) -> dict | None:
        """The state at the current yield: numpy arrays (those of ``restart_variables``)
        and JSON-able values; ``None`` when the solver cannot continue runs."""
        ...

    def stats(self) -> dict[str, int]:
        """Integrator statistics, written as ``integrator_<key>`` attributes; the same
        keys before the run (zeros) as after it."""
        ...

    def progress_info(self) -> dict:
        """``{"t", "h", "steps"}`` for the progress bar and the log."""
        ...

    def record_sizes(self) -> dict[str, int]:
        """Planned lengths of record axes beyond ``time``, e.g. ``{"t_step": n}``."""
        return {}

    def summary(self) -> dict:
        """Attributes derived from the whole run, written when it completes."""
        return {}


REQUIRED = ("coords", "variables", "restart_variables", "attrs", "run", "checkpoint",
            "stats", "progress_info", "times")


def split_dims(sim) -> tuple[str, ...]:
    """The dimensions a distributed run's blocks are stitched along."""
    return tuple(d.strip() for d in sim.split_dim.split(",") if d.strip())


def check(sim) -> None:
    """Refuse a Simulation that does not follow the contract, naming what it lacks."""
    missing = [name for name in REQUIRED if not hasattr(sim, name)]
    if missing or not isinstance(sim, Simulation):
        raise TypeError(f"{type(sim).__module__}.{type(sim).__name__} does not follow "
                        "physim.solvers.contract.Simulation: it lacks "
                        + ", ".join(missing or [n for n in dir(Simulation)
                                                if not n.startswith("_")
                                                and not hasattr(sim, n)]))
    if getattr(sim, "distributed", False) and not getattr(sim, "split_dim", ""):
        raise TypeError(f"{type(sim).__name__} is distributed but names no split_dim")
