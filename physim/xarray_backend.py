"""physim's xarray backend: ``xarray.open_dataset(path)`` on a physim output.

Registered under the entry point ``xarray.backends: physim``. Every physim file
starts with a user block naming the format, so xarray's netCDF4 and h5netcdf
backends do not claim it by its magic number and it comes here. The backend
reads through h5netcdf (complex fields come back complex, which the netCDF-C
stack cannot do) and keeps only the complete records: a running or killed run
has its whole layout on disk, with the coordinates of records not yet written
still NaN (see :mod:`physim.writer`).
"""
from __future__ import annotations

import os

from xarray.backends import BackendEntrypoint
from xarray.backends.h5netcdf_ import H5netcdfBackendEntrypoint

from .io import complete_records, is_physim_file


class PhysimBackendEntrypoint(BackendEntrypoint):
    description = "physim output files (HDF5, netCDF-4 compatible)"
    url = "https://pypi.org/project/physim"
    open_dataset_parameters = ("filename_or_obj", "drop_variables")

    def guess_can_open(self, filename_or_obj) -> bool:
        return isinstance(filename_or_obj, (str, os.PathLike)) and is_physim_file(filename_or_obj)

    def open_dataset(self, filename_or_obj, *, drop_variables=None, **kwargs):
        ds = H5netcdfBackendEntrypoint().open_dataset(filename_or_obj,
                                                      drop_variables=drop_variables, **kwargs)
        if not is_physim_file(filename_or_obj):  # an older physim file, or plain netCDF-4
            return ds
        counts = complete_records(filename_or_obj)
        keep = {d: slice(0, n) for d, n in counts.items() if d in ds.dims and n < ds.sizes[d]}
        if not keep:
            return ds
        out = ds.isel(keep)
        out.set_close(ds._close)  # closing the view closes the file
        return out
