"""`audiolasso separate|status|result|cancel`: the client from a terminal.

Exit codes say what went wrong: 0 done, 2 bad input (a 4xx: the message names the
field), 3 the job FAILED or was CANCELLED, 4 the service could not be reached or
kept failing, 130 interrupted (the job is cancelled on the server).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from serve_app.client.aio import APIError, JobFailed
from serve_app.client.sync import Client
from serve_app.contract.schemas import StatusResponse

EXIT_BAD_INPUT, EXIT_JOB_FAILED, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 2, 3, 4, 130


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "separate",
        help="separate a sound out of a file or URL in one command; writes NAME.target and NAME.residual",
        description="Upload INPUT (a local file; an http(s) URL is passed to the service), submit it with "
        "PROMPT, follow the job live and download the target and residual tracks. Ctrl-C cancels the job.",
    )
    p.add_argument("input", help="a local audio file, or a public http(s) URL")
    p.add_argument("prompt", help='what to separate, e.g. "isolate the lead vocal"')
    p.add_argument("--span", action="append", default=[], metavar="START-END", help="where the sound is (seconds)")
    p.add_argument(
        "--exclude-span", action="append", default=[], metavar="START-END", help="where only other sounds are"
    )
    p.add_argument("--out", type=Path, default=Path("."), help="folder for the tracks (default: here)")
    p.add_argument("--format", choices=["wav", "flac", "same"], help="output format (default: the service's)")
    p.add_argument("--backend", help="backend to use (default: the service's)")
    _connection(p)
    p.add_argument("--json", action="store_true", help="print the result object as JSON")
    p.set_defaults(func=_separate)

    for name, what in (("status", "print a job's status"), ("result", "print a finished job's result")):
        p = sub.add_parser(name, help=what, description=f"{what.capitalize()} as JSON.")
        p.add_argument("request_id", help="the job's id (req_...)")
        _connection(p)
        p.set_defaults(func=_show, call=name)
    p = sub.add_parser("cancel", help="cancel a job", description="Cancel a queued or running job.")
    p.add_argument("request_id", help="the job's id (req_...)")
    _connection(p)
    p.set_defaults(func=_show, call="cancel")


def _connection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="the service (env AUDIOLASSO_URL; default http://127.0.0.1:8000)")
    p.add_argument("--api-key", help="API key (env AUDIOLASSO_API_KEY)")
    p.add_argument(
        "--retries",
        type=_count,
        default=6,
        metavar="N",
        help="retry a call that found the service unreachable or busy N times, waiting 0.5 s, 1 s, 2 s... "
        "between tries (default: %(default)s, about half a minute)",
    )


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"a count of retries is a whole number, 0 or more (got {text!r})")
    return int(text)


def parse_span(text: str, include: bool) -> dict[str, Any]:
    start, sep, end = text.partition("-")
    try:
        if not sep:
            raise ValueError
        return {"start": float(start), "end": float(end), "include": include}
    except ValueError:
        raise argparse.ArgumentTypeError(f"a span is START-END in seconds, like 2.1-6.4 (got {text!r})") from None


def _exit_code(exc: APIError) -> int:
    return EXIT_UNREACHABLE if exc.status_code == 0 or exc.status_code >= 500 else EXIT_BAD_INPUT


def _fail(message: str, code: int) -> int:
    print(f"audiolasso: {message}", file=sys.stderr)
    return code


def _separate(args: argparse.Namespace) -> int:
    try:
        spans = [parse_span(s, True) for s in args.span] + [parse_span(s, False) for s in args.exclude_span]
    except argparse.ArgumentTypeError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    options: dict[str, Any] = {"spans": spans or None, "backend": args.backend, "output_format": args.format}
    options = {k: v for k, v in options.items() if v is not None}
    is_url = args.input.startswith(("http://", "https://"))
    if not is_url and not Path(args.input).is_file():
        return _fail(f"no such file: {args.input}", EXIT_BAD_INPUT)
    try:
        client = Client(args.url, args.api_key, max_retries=args.retries)
    except ValueError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    job = None
    with client, Progress(enabled=sys.stderr.isatty() and not args.json) as progress:
        try:
            if is_url:
                job = client.submit(args.prompt, audio_url=args.input, **options)
            else:
                progress.say(f"uploading {args.input}")
                job = client.submit(args.prompt, file_id=client.upload(args.input).file_id, **options)
            reading = job.submitted.interpretation if job.submitted else None
            if reading is not None:
                what = "everything but " if reading.inverted else ""
                progress.say(f"{job.request_id}: separating {what}{reading.phrase!r} with {reading.backend}")
            for warning in (job.submitted.warnings if job.submitted else None) or []:
                progress.say(f"warning: {warning}")
            job.wait(on_update=progress.update)
            result = job.result()
            paths = job.download(args.out, stem=Path(args.input.split("?")[0]).stem or job.request_id)
        except KeyboardInterrupt:
            if job is not None:
                job.cancel()
                progress.say(f"{job.request_id}: cancelled")
            return EXIT_INTERRUPTED
        except JobFailed as exc:
            return _fail(f"{job.request_id if job else 'the job'}: {exc}", EXIT_JOB_FAILED)
        except APIError as exc:
            return _fail(str(exc), _exit_code(exc))
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        for role, path in paths.items():
            print(f"{role}: {path}")
    return 0


def _show(args: argparse.Namespace) -> int:
    try:
        with Client(args.url, args.api_key, max_retries=args.retries) as client:
            job = client.job(args.request_id)
            answer = {"status": job.status, "result": job.result, "cancel": job.cancel}[args.call]()
    except ValueError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    except JobFailed as exc:
        print(exc.status.model_dump_json(indent=2, exclude_none=True))
        return EXIT_JOB_FAILED
    except APIError as exc:
        return _fail(str(exc), _exit_code(exc))
    print(json.dumps(answer.model_dump(mode="json", exclude_none=True), indent=2))
    return 0


class Progress:
    """A live bar on a terminal (rich): queue position, then chunks done; elsewhere plain
    lines, one per change, for logs and pipes."""

    def __init__(self, enabled: bool):
        self.bar: Any = None
        if enabled:
            from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(
                TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn()
            )
            self.task = self.bar.add_task("submitted", total=None)
        self.last = ""

    def __enter__(self) -> Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def say(self, line: str) -> None:
        if self.bar is not None:
            self.bar.console.print(line)
        else:
            print(line, file=sys.stderr, flush=True)

    def update(self, status: StatusResponse) -> None:
        if status.queue_position is not None:
            line, done, total = f"queued, {status.queue_position} ahead", None, None
        elif status.progress is not None:
            done, total = status.progress.chunks_done, status.progress.chunks_total
            line = f"separating, chunk {done}/{total}"
        else:
            line, done, total = status.status.value.lower().replace("_", " "), None, None
        if self.bar is not None:
            if total is None:  # queued, or ended: the bar keeps what it showed
                self.bar.update(self.task, description=line)
            else:
                self.bar.update(self.task, description=line, completed=done, total=total)
        elif line != self.last:
            self.say(line)
        self.last = line
