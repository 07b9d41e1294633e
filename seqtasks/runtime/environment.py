"""What made a run and where it ran: the command line, library versions and hardware, stored in the
run directory at train time (`run_info.json`) so a report can say how to reproduce the run."""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sys
from importlib import metadata, resources
from pathlib import Path

import torch

LIBRARIES = ("seqtasks", "torch", "pytorch-lightning", "torchmetrics", "datasets", "tokenizers",
             "hydra-core", "numpy", "matplotlib")
CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL")


def progress_bar_wanted(enabled: bool = True) -> bool:
    """Lightning's progress bar only where someone watches: stderr is a terminal and not in CI."""
    in_ci = any(os.environ.get(name) for name in CI_VARIABLES)
    return bool(enabled) and sys.stderr.isatty() and not in_ci


def command_line() -> str:
    """The command that reproduces this job: under Hydra the script plus this job's own overrides
    (one job of a multirun sweep, not the sweep); otherwise `python` plus sys.argv."""
    from hydra.core.hydra_config import HydraConfig

    argv = [Path(sys.argv[0]).as_posix()] if sys.argv and sys.argv[0] else []
    if HydraConfig.initialized():
        argv += list(HydraConfig.get().overrides.task)
    else:
        argv += sys.argv[1:]
    return "python " + shlex.join(argv)


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _canonical(name: str) -> str:
    """pip's name normalization: `PyTorch_Lightning` and `pytorch-lightning` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions() -> dict[str, str]:
    """The lock (`seqtasks/constraints.txt`, shipped in the wheel): the exact versions that made the
    published figures, as {canonical name: version}."""
    text = resources.files("seqtasks").joinpath("constraints.txt").read_text()
    pins = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return {_canonical(name): version for name, _, version in
            (pin.partition("==") for pin in pins if "==" in pin)}


def versions_off_lock(versions: dict[str, str]) -> dict[str, tuple[str, str]]:
    """{library: (its version, the locked one)} for each library of `versions` (a run_info.json's)
    that the lock pins to another version; libraries the lock does not pin are left out."""
    lock = locked_versions()
    return {name: (version, lock[_canonical(name)]) for name, version in versions.items()
            if _canonical(name) in lock and lock[_canonical(name)] != version}


def hardware() -> dict[str, str | int]:
    """CPU model and count, GPU name (if any) and the operating system."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                  if line.startswith("model name")]
        cpu = models[0] if models else cpu
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return {"cpu": cpu, "cpu_count": os.cpu_count() or 0, "gpu": gpu,
            "os": platform.platform(terse=True)}


def git_commit() -> str:
    """The seqtasks source's commit (with `+dirty` when it has uncommitted changes), or ''."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, text=True,
                                capture_output=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               text=True, capture_output=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return commit + ("+dirty" if dirty else "")


def run_info(command: str | None = None) -> dict:
    """Everything `run_info.json` holds; `command` defaults to :func:`command_line`."""
    return {"command": command or command_line(), "cwd": os.getcwd(), "git_commit": git_commit(),
            "versions": library_versions(), "hardware": hardware()}
