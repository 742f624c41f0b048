"""Analysis of solver output: entropies and phase-space (Wigner) distributions."""
from .entropy import (density_entropies, entropies, renyi, shannon, spectral_entropies,
                      tsallis)
from .phase_space import wigner, wigner_array, wigner_marginals

__all__ = ["shannon", "renyi", "tsallis", "density_entropies", "spectral_entropies",
           "entropies", "wigner", "wigner_array", "wigner_marginals"]
