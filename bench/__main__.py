"""``python -m bench [--size full|tiny] [--only NAME] [--base COMMIT] [--output reports/bench.json]`` (``make bench``,
``make bench BENCH_BASE=COMMIT``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shlex
import sys
import tempfile
from pathlib import Path

from bench import Bench, Sections, Size, base, stepfunctions, temporal
from bench.progress import Progress
from bench.report import DEFAULT_REPORT, environment, merge
from workers.exit import exit_now

BENCHES: dict[str, Bench] = {bench.name: bench for bench in (temporal.BENCH, stepfunctions.BENCH)}


async def run(names: list[str], size: Size, workdir: Path, progress: Progress, *,
              benches: dict[str, Bench] = BENCHES, command: str = "python -m bench") -> tuple[Sections, list[str]]:
    sections: Sections = {}
    lines: list[str] = []
    for number, name in enumerate(names, 1):
        progress(f"bench {number}/{len(names)}: {name} ({size.value} size)")
        load_before = os.getloadavg()
        measured = await benches[name].run(size, workdir / name, progress)
        for section in measured.values():
            section["environment"] = environment(size, command=command, load_before=load_before)
        sections |= measured
        lines += benches[name].summary(measured)
    return sections, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=[size.value for size in Size], default=Size.FULL.value)
    parser.add_argument("--only", action="append", choices=sorted(BENCHES), help="run only this bench (repeatable)")
    parser.add_argument("--base", metavar="COMMIT",
                        help="also run this commit's hardened worker as a fifth Temporal lane (codec.base_vs_new)")
    parser.add_argument("--output", type=Path, default=DEFAULT_REPORT)
    args = parser.parse_args(argv)
    benches = dict(BENCHES)
    if args.base is not None:  # refused before any server starts
        if args.only and temporal.BENCH.name not in args.only:
            parser.error(f"--base: only the {temporal.BENCH.name} bench compares a base commit; add --only "
                         f"{temporal.BENCH.name}")
        try:
            benches[temporal.BENCH.name] = temporal.TemporalBench(base_commit=base.resolve(args.base))
        except base.BaseRefError as error:
            parser.error(str(error))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        command = shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)])
        sections, lines = asyncio.run(run(args.only or sorted(BENCHES), Size(args.size), Path(workdir), Progress(),
                                          benches=benches, command=command))
    merge(args.output, sections)
    print("\n".join([*lines, f"written: {args.output} (sections: {', '.join(sorted(sections))})"]))
    return 0


if __name__ == "__main__":
    exit_now(main())  # the Temporal SDK's threads can abort a normal interpreter exit (see workers/exit.py)
