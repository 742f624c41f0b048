"""Active particles started from given positions (``[initial] kind = "array"`` / ``"file"``)."""
import numpy as np
import pytest
import xarray as xr

from physim.cases import CaseError
from physim.inputs import Input, Inputs, Resolved

# -- physim.inputs: an optional input a file lacks --------------------------------------------

def test_optional_input_missing_from_file_is_none_and_stays_none_when_replayed(tmp_path):
    path = tmp_path / "a.nc"
    xr.Dataset({"a": (("i",), np.arange(3.0))}, coords={"i": np.arange(3)}).to_netcdf(path)
    declared = {"a": Input("s", "needed"), "b": Input("s", "optional", required=False),
                "c": Input("s", "needed too")}
    sec = {"kind": "file", "path": str(path), "time": None, "index": None, "member": None,
           "interpolate": False}
    ins = Inputs({"solver": "x", "s": sec}, declared)
    coords = {"i": np.arange(3)}
    assert np.array_equal(ins.array("a", coords), [0.0, 1.0, 2.0])
    assert ins.array("b", coords) is None and "b" not in ins.resolved
    with pytest.raises(CaseError, match="has no variable 'c'"):  # a required one still fails
        ins.array("c", coords)
    # a run repeated from its output neither reads the file again nor invents b
    path.unlink()
    again = Inputs({"solver": "x", "s": sec}, declared, {"a": ins.resolved["a"]})
    assert np.array_equal(again.array("a", coords), [0.0, 1.0, 2.0])
    assert again.array("b", coords) is None
    assert isinstance(again.given["a"], Resolved)
