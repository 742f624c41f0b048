"""What the frame expects of a solver (written down once; every solver follows it).

A solver is a package under ``physim.solvers`` registered in ``SOLVERS``. It exposes
``SCHEMA`` (a :class:`physim.cases.Schema`: every case key, validated before any
work) and ``Simulation``, built from the validated parameters (and, when
``distributed = True``, the communicator: ``Simulation(params, comm)``).

A ``Simulation`` has:

``times``
    the snapshot times; their number is the length of the ``time`` axis the output is
    laid out for.
``record_sizes()`` (optional)
    planned lengths of further record axes, e.g. ``{"t_step": steps + 1}``.
``coords()``
    ``{name: (dims, values, attrs)}``: the static coordinates (this rank's block of the
    split dimension).
``variables()``
    ``{name: physim.io.Var}``: every recorded variable, its first dim a record axis.
``restart_variables()``
    ``{name: Var}``: the arrays of a checkpoint with their shapes (``{}``: no restart).
``attrs()``
    global attributes (``time_attrs`` for the time coordinate's).
``run(resume=None)``
    a generator. It yields :class:`physim.io.Record` items (a snapshot, a block of
    samples, the quantities of a step), or a list of them that belong to one step (the
    step's quantities and the snapshot it ends on), and ``None`` at every step boundary
    between them.
    Whenever it is suspended at a yield, the state is consistent: ``checkpoint()`` may be
    called and the run may be stopped there. ``run(resume=cp)`` continues from a dict
    ``checkpoint()`` returned earlier and yields exactly what the uninterrupted run would
    have yielded after that point, bit for bit.
``checkpoint()``
    a dict of numpy arrays (those of ``restart_variables``) and JSON-able values, or
    ``None`` for a solver that cannot continue a run (it is then regenerated).
``stats()``
    integrator statistics written as ``integrator_<key>`` attributes at the end.
``progress_info()``
    ``{"t", "h", "steps"}`` for the progress bar and log.
``summary()`` (optional)
    attributes derived from the whole run, written when it completes.

Distributed solvers also set ``split_dim`` (the dimension the ranks' blocks are
stitched along) and ``lockstep`` (True when the ranks step together and so must stop
and checkpoint at the same step; False when each rank's members run on their own).
Raising :class:`physim.integrate.IntegrationError` inside ``run`` stops the run as
failed with that message; the records written so far stay readable.
"""
