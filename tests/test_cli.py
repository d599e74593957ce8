"""The command line: reproducible output, clear errors, atomic writes, no injection."""

from __future__ import annotations

import errno
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from derive import entry, output
from derive.cli import main
from derive.errors import BadInputError

ROOT = Path(__file__).parent.parent
XOR = (ROOT / "examples/xor.toml").read_text()


def run_cli(
    *arguments: str, env: dict | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "derive", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
    )


def read_tree(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {str(p.relative_to(folder)): p.read_bytes() for p in files}


def test_output_is_byte_identical_across_processes_hash_seeds_and_locales(tmp_path):
    first = run_cli(
        "all",
        "--spec",
        "examples/xor.toml",
        "--out",
        str(tmp_path / "a"),
        env={"PYTHONHASHSEED": "1", "LC_ALL": "C"},
    )
    second = run_cli(
        "all",
        "--spec",
        "examples/xor.toml",
        "--out",
        str(tmp_path / "b"),
        env={"PYTHONHASHSEED": "2", "LC_ALL": "C.UTF-8"},
    )
    assert first.returncode == 0 and second.returncode == 0, (
        first.stderr + second.stderr
    )
    assert read_tree(tmp_path / "a") == read_tree(tmp_path / "b")
    assert len(read_tree(tmp_path / "a")) >= 3


def test_committed_seed_output_is_current(tmp_path):
    assert main(["all", "--out", str(tmp_path)]) == 0
    for name in ("derivation.tex", "derivation.json", "kernels.py"):
        committed = (ROOT / "generated/seed" / name).read_bytes()
        assert (tmp_path / "seed" / name).read_bytes() == committed, name


@pytest.mark.parametrize(
    "spec_text, message",
    [
        (XOR.replace("inputs = 2", "inputs = 0"), "'inputs' = 0 is out of range"),
        ("not toml at all", "invalid TOML"),
        (XOR.replace('"xor"', '"x\\"\\ninputs"'), "is not a safe identifier"),
    ],
    ids=["zero-inputs", "bad-toml", "quote-in-name"],
)
def test_bad_spec_exits_2_with_one_line_and_touches_nothing(
    tmp_path, spec_text, message
):
    spec = tmp_path / "bad.toml"
    spec.write_text(spec_text)
    existing = tmp_path / "out" / "n" / "kernels.py"
    existing.parent.mkdir(parents=True)
    existing.write_text("previous")

    result = run_cli("all", "--spec", str(spec), "--out", str(tmp_path / "out"))

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert read_tree(tmp_path / "out") == {"n/kernels.py": b"previous"}


def test_output_folder_that_is_a_file_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me")
    result = run_cli("all", "--out", str(blocker))
    assert result.returncode == 2
    assert result.stderr == (
        f"derive: error: {blocker}: is a file where a folder is needed; "
        "nothing was changed\n"
    )
    assert blocker.read_text() == "keep me"


def test_failure_part_way_leaves_previous_files_exactly(tmp_path, monkeypatch):
    first, second = tmp_path / "derivation.tex", tmp_path / "kernels.py"
    first.write_text("old tex")
    second.write_text("old kernels")
    real_stage = output.stage
    calls = []

    def failing_stage(path, text):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        return real_stage(path, text)

    monkeypatch.setattr(output, "stage", failing_stage)
    with pytest.raises(
        BadInputError,
        match=r"cannot write \(No space left on device\); nothing was changed",
    ):
        output.write_files({first: "new tex", second: "new kernels"})
    assert first.read_text() == "old tex" and second.read_text() == "old kernels"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "derivation.tex",
        "kernels.py",
    ]


def test_an_interrupt_while_staging_leaves_no_temporary_file(tmp_path, monkeypatch):
    first, second = tmp_path / "derivation.tex", tmp_path / "kernels.py"
    first.write_text("old tex")
    real_stage = output.stage

    def interrupted_stage(path, text):
        if path == second:
            raise KeyboardInterrupt
        return real_stage(path, text)

    monkeypatch.setattr(output, "stage", interrupted_stage)
    with pytest.raises(KeyboardInterrupt):
        output.write_files({first: "new tex", second: "new kernels"})
    assert first.read_text() == "old tex"
    assert [p.name for p in tmp_path.iterdir()] == ["derivation.tex"]


def test_ctrl_c_while_writing_lands_every_file_and_leaves_no_temporary_file(
    tmp_path, monkeypatch
):
    first, second = tmp_path / "derivation.tex", tmp_path / "kernels.py"
    first.write_text("old tex")
    real_mkstemp = tempfile.mkstemp

    def mkstemp_then_ctrl_c(*arguments, **options):
        created = real_mkstemp(*arguments, **options)
        os.kill(os.getpid(), signal.SIGINT)  # as if Ctrl-C came just after the create
        return created

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        output.write_files({first: "new tex", second: "new kernels"})
    assert first.read_text() == "new tex" and second.read_text() == "new kernels"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "derivation.tex",
        "kernels.py",
    ]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize(
    ("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)], ids=["umask-022", "umask-077"]
)
def test_a_replaced_file_keeps_its_permissions_and_a_new_one_follows_the_umask(
    tmp_path, umask, mode
):
    kept, new = tmp_path / "kernels.py", tmp_path / "derivation.tex"
    kept.write_text("old")
    kept.chmod(0o640)
    previous = os.umask(umask)
    try:
        output.write_files({kept: "new", new: "new"})
    finally:
        os.umask(previous)
    assert kept.read_text() == "new" and kept.stat().st_mode & 0o777 == 0o640
    assert new.stat().st_mode & 0o777 == mode


def test_a_symbolic_link_keeps_pointing_at_the_rewritten_file(tmp_path):
    (tmp_path / "kept").mkdir()
    real, link = tmp_path / "kept" / "kernels.py", tmp_path / "kernels.py"
    real.write_text("old")
    link.symlink_to(real)
    output.write_files({link: "new"})
    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept", "kernels.py"]


def test_a_looping_symbolic_link_is_one_line_and_left_alone(tmp_path):
    loop = tmp_path / "kernels.py"
    loop.symlink_to(loop)
    with pytest.raises(BadInputError, match="kernels.py: .*nothing was changed$"):
        output.write_files({loop: "new"})
    assert loop.is_symlink() and [p.name for p in tmp_path.iterdir()] == ["kernels.py"]


def test_a_link_to_a_pipe_or_a_missing_folder_is_refused_and_nothing_changes(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    kept = tmp_path / "derivation.tex"
    kept.write_text("old")
    to_pipe, dangling = tmp_path / "kernels.py", tmp_path / "network.svg"
    to_pipe.symlink_to(pipe)
    dangling.symlink_to(tmp_path / "elsewhere" / "network.svg")
    with pytest.raises(BadInputError, match="which is not a regular file; nothing"):
        output.write_files({kept: "new", to_pipe: "new"})
    with pytest.raises(BadInputError, match="whose folder does not exist; nothing"):
        output.write_files({kept: "new", dangling: "new"})
    assert kept.read_text() == "old" and pipe.is_fifo()
    assert not (tmp_path / "elsewhere").exists()


def test_a_pipe_where_a_file_goes_is_refused(tmp_path):
    pipe = tmp_path / "kernels.py"
    os.mkfifo(pipe)
    with pytest.raises(BadInputError, match="kernels.py: is not a regular file"):
        output.write_files({pipe: "new"})
    assert pipe.is_fifo()


@pytest.mark.parametrize("target", ["loop", "missing"])
def test_an_output_folder_that_is_a_broken_link_is_one_line(tmp_path, target):
    folder = tmp_path / "out"
    folder.symlink_to(tmp_path / target if target == "missing" else folder)
    with pytest.raises(BadInputError, match="out: is a symbolic link that loops or"):
        output.write_files({folder / "seed" / "kernels.py": "new"})
    assert [path.name for path in tmp_path.iterdir()] == ["out"]


def test_a_file_where_a_folder_goes_is_one_line(tmp_path):
    (tmp_path / "seed").write_text("a file")
    with pytest.raises(BadInputError, match="seed: is a file where a folder is needed"):
        output.write_files({tmp_path / "seed" / "kernels.py": "new"})
    assert (tmp_path / "seed").read_text() == "a file"


def test_a_folder_that_refuses_new_files_is_named(tmp_path, monkeypatch):
    def mkstemp_refused(*arguments, **options):
        raise PermissionError(errno.EACCES, "Permission denied", "/x/.kernels.py.tmp")

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_refused)
    with pytest.raises(BadInputError) as raised:
        output.write_files({tmp_path / "kernels.py": "new"})
    assert str(raised.value) == (
        f"{tmp_path}: cannot write (Permission denied); nothing was changed"
    )


def test_a_closed_standard_output_is_one_line_and_exit_2(tmp_path):
    document = tmp_path / "right.md"
    document.write_text("$$ x_1 = x_1 $$\n")
    finished = subprocess.run(
        [sys.executable, "-m", "derive", "audit", str(document)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(1),
    )
    assert finished.returncode == 2
    assert finished.stderr == (
        "derive: error: cannot write to standard output (it is closed)\n"
    )


SIGTERM_WHILE_WRITING = """
import os, signal, sys, tempfile
from pathlib import Path
from derive import output
real_mkstemp = tempfile.mkstemp
def mkstemp_then_sigterm(*arguments, **options):
    created = real_mkstemp(*arguments, **options)
    os.kill(os.getpid(), signal.SIGTERM)
    return created
tempfile.mkstemp = mkstemp_then_sigterm
folder = Path(sys.argv[1])
output.write_files({folder / "derivation.tex": "new tex", folder / "kernels.py": "new"})
print("not reached")
"""


def test_sigterm_while_writing_lands_every_file_then_ends_the_process(tmp_path):
    (tmp_path / "derivation.tex").write_text("old tex")
    finished = subprocess.run(
        [sys.executable, "-c", SIGTERM_WHILE_WRITING, str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert finished.returncode == -signal.SIGTERM and finished.stdout == ""
    assert (tmp_path / "derivation.tex").read_text() == "new tex"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "derivation.tex",
        "kernels.py",
    ]


def test_hostile_spec_path_does_not_reach_generated_code(tmp_path):
    folder = tmp_path / 'x"""\nimport os\n\\input{evil}'
    folder.mkdir()
    spec = folder / "net.toml"
    spec.write_text((ROOT / "examples/xor.toml").read_text())
    result = run_cli("all", "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    kernels = (tmp_path / "out/xor/kernels.py").read_text()
    tex = (tmp_path / "out/xor/derivation.tex").read_text()
    assert "\nimport os" not in kernels and "\\input" not in tex
    compile(kernels, "kernels.py", "exec")


def test_a_spec_path_cannot_end_the_html_comment_that_names_it(tmp_path):
    spec = tmp_path / "g-->h.toml"
    spec.write_text((ROOT / "examples/xor.toml").read_text())
    result = run_cli("html", "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out/xor/derivation.html").read_text()
    head, _, rest = html.partition("-->")
    assert head.startswith("<!DOCTYPE html>\n<!-- Generated by derive from ")
    assert rest.startswith("\n<html")


@pytest.mark.parametrize("command", ["all", "latex", "kernels", "audit"])
def test_every_subcommand_explains_itself(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0 and "Example: derive" in result.stdout


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("derive ")


def test_a_folder_in_place_of_an_output_file_changes_nothing(tmp_path):
    (tmp_path / "seed" / "kernels.py").mkdir(parents=True)
    kept = tmp_path / "seed" / "derivation.tex"
    kept.write_text("keep")
    result = run_cli("all", "--out", str(tmp_path))
    assert (
        result.returncode == 2
        and "is a folder where a file is to be written" in result.stderr
    )
    assert kept.read_text() == "keep"
    assert sorted(p.name for p in (tmp_path / "seed").iterdir()) == [
        "derivation.tex",
        "kernels.py",
    ]


def test_an_output_name_too_long_for_the_system_is_a_one_line_error(tmp_path):
    result = run_cli("kernels", "--out", "a" * 300, cwd=tmp_path)
    assert result.returncode == 2
    assert re.fullmatch(
        r"derive: error: a{300}/seed/kernels\.py: cannot write \(File name too long\); "
        r"nothing was changed\n",
        result.stderr,
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["-1", "100000000"])
def test_max_scalar_out_of_range(value):
    result = run_cli(
        "latex", "--max-scalar", value, "--out", "/nonexistent-never-written"
    )
    assert (
        result.returncode == 2
        and "--max-scalar" in result.stderr
        and "allowed: 0 to" in result.stderr
    )


REGENERATE = re.compile(r"[Rr]egenerate with: (derive [^\n]*?)(?: -->)?$", re.MULTILINE)
INVOCATIONS = {
    "all": ["all"],
    "all-numba": ["all", "--backend", "numba"],
    "kernels": ["kernels", "--spec", "examples/xor.toml"],
    "kernels-numba": ["kernels", "--backend", "numba", "--max-scalar", "20"],
    "latex": ["latex", "--max-scalar", "20"],
    "html": ["html", "--spec", "examples/xor.toml"],
}


@pytest.mark.parametrize("invocation", INVOCATIONS.values(), ids=list(INVOCATIONS))
def test_each_file_names_a_command_that_rewrites_it_and_nothing_else(
    tmp_path, monkeypatch, invocation
):
    monkeypatch.chdir(ROOT)
    assert main([*invocation, "--out", str(tmp_path / "first")]) == 0
    written = read_tree(tmp_path / "first")

    for index, (name, content) in enumerate(written.items()):
        named = REGENERATE.findall(content.decode())
        if not named:
            continue
        again = tmp_path / f"again-{index}"
        assert main([*shlex.split(named[0])[1:], "--out", str(again)]) == 0
        rewritten = read_tree(again)
        assert rewritten[name] == content, named[0]
        # Every file the named command writes was there, with the same bytes.
        assert all(written.get(other) == rewritten[other] for other in rewritten)


@pytest.mark.parametrize(
    "backend, kernels",
    [("numpy", ["kernels.py"]), ("numba", ["kernels.py", "kernels_numba.py"])],
    ids=["numpy", "numba"],
)
def test_all_writes_kernels_py_with_either_backend(tmp_path, backend, kernels):
    assert main(["all", "--backend", backend, "--out", str(tmp_path / backend)]) == 0
    assert main(["all", "--out", str(tmp_path / "plain")]) == 0
    written = read_tree(tmp_path / backend)
    expected = ["derivation.html", "derivation.json", "derivation.tex", "network.svg"]
    assert sorted(name.removeprefix("seed/") for name in written) == sorted(
        expected + kernels
    )
    plain = read_tree(tmp_path / "plain")
    assert all(written[name] == plain[name] for name in plain)


def test_committed_numba_kernels_name_the_command_make_runs():
    for spec, options in (("seed", ""), ("xor", " --spec examples/xor.toml")):
        source = (ROOT / "generated" / spec / "kernels_numba.py").read_text()
        command = f"derive kernels --backend numba{options}"
        assert REGENERATE.findall(source) == [command]


@pytest.mark.parametrize("command", ["all", "latex", "kernels", "html"])
def test_an_empty_out_is_an_error_and_writes_nothing(tmp_path, command):
    result = run_cli(command, "--out", "", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "derive: error: --out is empty; allowed: a folder path (default: generated)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_spec_path_with_a_space_is_quoted_so_the_command_runs(tmp_path, monkeypatch):
    folder = tmp_path / "my specs"
    folder.mkdir()
    (folder / "net.toml").write_text(XOR)
    monkeypatch.chdir(tmp_path)
    assert main(["kernels", "--spec", "my specs/net.toml", "--out", "first"]) == 0
    content = (tmp_path / "first/xor/kernels.py").read_text()
    named = REGENERATE.findall(content)
    assert named == ["derive kernels --spec 'my specs/net.toml'"]
    assert main([*shlex.split(named[0])[1:], "--out", "again"]) == 0
    assert (tmp_path / "again/xor/kernels.py").read_text() == content


def test_a_spec_path_the_headers_cannot_show_is_named_as_a_placeholder(
    tmp_path, monkeypatch
):
    (tmp_path / "spéc.toml").write_text(XOR)
    monkeypatch.chdir(tmp_path)
    assert main(["kernels", "--spec", "spéc.toml", "--out", "out"]) == 0
    content = (tmp_path / "out/xor/kernels.py").read_text()
    assert REGENERATE.findall(content) == ["derive kernels --spec <spec file>"]


@pytest.mark.parametrize(
    "arguments",
    [["bogus"], ["all", "--max-scalar", "1e3"], ["kernels", "--nope"], []],
    ids=["unknown-command", "bad-int", "unknown-option", "no-command"],
)
def test_usage_errors_are_one_line_with_exit_2(arguments):
    result = run_cli(*arguments)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("derive")
    assert "error:" in result.stderr and "--help" in result.stderr


def test_an_interrupt_while_starting_up_is_one_line(monkeypatch, capsys):
    class Interrupting:
        def find_spec(self, name, path=None, target=None):
            if name == "derive.cli":
                raise KeyboardInterrupt  # as a Ctrl-C while SymPy is imported

    monkeypatch.delitem(sys.modules, "derive.cli")
    monkeypatch.setattr(sys, "meta_path", [Interrupting(), *sys.meta_path])

    assert entry.main() == 130
    assert capsys.readouterr().err == "derive: interrupted\n"


SEED_DOCUMENT = str(Path(__file__).parent / "audit_docs" / "seed_derivation.md")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
@pytest.mark.parametrize(
    "arguments",
    [["audit", SEED_DOCUMENT], ["--help"], ["--version"]],
    ids=["audit", "help", "version"],
)
def test_a_full_standard_output_is_one_line_and_exit_2(arguments):
    with open("/dev/full", "w") as full:
        finished = subprocess.run(
            [sys.executable, "-m", "derive", *arguments],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert finished.returncode == 2
    assert finished.stderr == (
        "derive: error: cannot write to standard output (No space left on device)\n"
    )


def test_a_failed_write_names_the_file_and_leaves_no_new_folder(tmp_path, monkeypatch):
    real_fdopen = os.fdopen

    def fdopen_of_a_full_disk(descriptor, *arguments, **options):
        handle = real_fdopen(descriptor, *arguments, **options)

        def write(content):
            raise OSError(errno.ENOSPC, "No space left on device")

        handle.write = write
        return handle

    monkeypatch.setattr(output.os, "fdopen", fdopen_of_a_full_disk)
    target = tmp_path / "new" / "seed" / "kernels.py"
    with pytest.raises(BadInputError) as raised:
        output.write_files({target: "text"})
    assert str(raised.value) == (
        f"{target}: cannot write (No space left on device); nothing was changed"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_empty_spec_path_is_one_line():
    result = run_cli("all", "--spec", "")
    assert result.returncode == 2
    assert (
        result.stderr
        == "derive: error: the spec path is empty; name a .toml spec file\n"
    )


@pytest.mark.parametrize(
    ("document", "plain", "strict"),
    [
        ("$$ z_1^{(1)} = \\max(0, a_1^{(1)}) $$\n", 0, 0),
        ("$$ z_1^{(1)} = \\foo $$\n", 0, 1),  # unparsed
        ("$$ z_1^{(1)} = q_1 $$\n", 0, 1),  # unknown symbol
        ("$$ z_1^{(1)} = 1 $$\n$$ a b $$\n", 1, 1),  # wrong, and a display without '='
        ("$$ z_1^{(1)} = \\max(0, a_1^{(1)}) $$\n$$ a b $$\n", 0, 1),  # a warning
    ],
    ids=["verified", "unparsed", "unknown-symbol", "wrong", "warning"],
)
def test_strict_audit_fails_unless_every_link_is_verified(
    tmp_path, document, plain, strict
):
    path = tmp_path / "derivation.md"
    path.write_text(document)
    assert run_cli("audit", str(path)).returncode == plain
    assert run_cli("audit", "--strict", str(path)).returncode == strict
