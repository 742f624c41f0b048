"""Every error a user can cause on the command line is one line, exit status 2, nothing written."""
import os
import shutil
import subprocess
import sys

import h5py
import pytest

from physim import cli, cli_checks

# (id, argv, the file or key the message must name)
CASES = [
    ("restart-empty", ["run", "case.toml", "--restart", "x.h5"], "x.h5"),
    ("restart-truncated", ["run", "case.toml", "--restart", "trunc.h5"], "trunc.h5"),
    ("restart-plain-hdf5", ["run", "case.toml", "--restart", "plain.h5"], "plain.h5"),
    ("restart-directory", ["run", "case.toml", "--restart", "outdir"], "outdir"),
    ("restart-case-file", ["run", "case.toml", "--restart", "case.toml"], "case.toml"),
    ("info-empty", ["info", "x.h5"], "x.h5"),
    ("info-truncated", ["info", "trunc.h5"], "trunc.h5"),
    ("info-plain-hdf5", ["info", "plain.h5"], "plain.h5"),
    ("info-text", ["info", "text.h5"], "text.h5"),
    ("info-toml", ["info", "case.toml"], "case.toml"),
    ("info-missing", ["info", "missing.h5"], "missing.h5"),
    ("info-directory", ["info", "outdir"], "outdir"),
    ("info-schema-unknown", ["info", "--schema", "nlse2"], "nlse2"),
    ("plot-empty", ["plot", "x.h5"], "x.h5"),
    ("plot-truncated", ["plot", "trunc.h5"], "trunc.h5"),
    ("plot-plain-hdf5", ["plot", "plain.h5"], "plain.h5"),
    ("plot-dir-is-a-file", ["plot", "s.h5", "-d", "text.h5"], "text.h5"),
    ("entropy-plain-hdf5", ["analyse", "entropy", "plain.h5"], "plain.h5"),
    ("entropy-peccary", ["analyse", "entropy", "pend.h5"], "pend.h5"),
    ("entropy-save-directory", ["analyse", "entropy", "s.h5", "-o", "outdir"], "outdir"),
    ("epr-nlse", ["analyse", "epr", "s.h5"], "s.h5"),
    ("boltzmann-nlse", ["analyse", "boltzmann", "s.h5"], "s.h5"),
    ("ordinal-plain-hdf5", ["analyse", "ordinal", "plain.h5"], "plain.h5"),
    ("ordinal-truncated", ["analyse", "ordinal", "trunc.h5"], "trunc.h5"),
    ("run-output-directory", ["run", "case.toml", "-o", "outdir", "--overwrite"], "outdir"),
    ("run-output-exists", ["run", "case.toml", "-o", "s.h5"], "s.h5"),
    ("run-output-no-parent", ["run", "case.toml", "-o", "nodir/out.h5"], "nodir"),
    ("run-output-read-only", ["run", "case.toml", "-o", "ro/out.h5"], "ro/out.h5"),
    ("case-directory", ["run", "adir.toml"], "adir.toml"),
    ("case-binary", ["run", "bin.toml"], "bin.toml"),
    ("case-not-toml", ["run", "text.h5", "-o", "new.h5"], "text.h5"),
    ("case-missing-quiet-after", ["run", "missing.toml", "-q"], "missing.toml"),
    ("regress-reference-missing", ["regress", "case.toml", "missing.h5"], "missing.h5"),
]


@pytest.fixture
def bad(tmp_path, repo_root, monkeypatch):
    """A directory of bad inputs (and a few good ones), made the working directory."""
    ref = repo_root / "tests" / "reference"
    shutil.copy(repo_root / "cases" / "nlse" / "soliton.toml", tmp_path / "case.toml")
    shutil.copy(ref / "soliton.h5", tmp_path / "s.h5")
    shutil.copy(ref / "peccary_double_pendulum.h5", tmp_path / "pend.h5")
    (tmp_path / "trunc.h5").write_bytes((ref / "soliton.h5").read_bytes()[:3000])
    (tmp_path / "x.h5").write_bytes(b"")
    (tmp_path / "text.h5").write_text("hello\n")
    (tmp_path / "bin.toml").write_bytes(b"\x00\xff\xfe\x01binary")
    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f["a"] = [1, 2]
    for d in ("adir.toml", "outdir", "ro"):
        (tmp_path / d).mkdir()
    (tmp_path / "ro").chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: let the check see what a user would
        access = os.access
        monkeypatch.setattr(cli_checks.os, "access", lambda p, mode: False if
                            os.path.basename(p) == "ro" and mode & os.W_OK else access(p, mode))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    (tmp_path / "ro").chmod(0o755)


def _tree(root):
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*")}


def _check_one_line(err, name):
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("physim: error: ") and name in lines[0], err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv,name", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_line_exit_2_nothing_written(bad, capsys, argv, name):
    before = _tree(bad)
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    _check_one_line(err, name)
    assert out == ""
    assert _tree(bad) == before  # no output file, no figures directory, nothing changed


def test_subprocess(bad):
    r = subprocess.run([sys.executable, "-m", "physim.cli", "info", "trunc.h5", "-q"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    _check_one_line(r.stderr, "trunc.h5")


@pytest.mark.parametrize("argv,quiet", [(["run", "c.toml"], False), (["-q", "run", "c.toml"], True),
                                        (["run", "c.toml", "-q"], True),
                                        (["analyse", "entropy", "s.h5", "--quiet", "--q", "2"],
                                         True)])
def test_quiet_before_or_after_the_subcommand(argv, quiet):
    assert cli._parser().parse_args(argv).quiet is quiet
