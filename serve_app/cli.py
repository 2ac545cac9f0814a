"""The ``audiolasso`` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from serve_app.client.cli import add_commands as client_commands
from serve_app.config import Settings

DEFAULT_CONFIG = Path("configs/local.yaml")


def _keys(args: argparse.Namespace) -> int:
    from serve_app.access.apikeys import KeyStore
    from serve_app.store.connection import connect
    from serve_app.store.keys import RedisKeys
    from serve_app.webhooks.secret_store import WebhookSecrets

    settings = Settings()

    async def go() -> int:
        redis = connect(settings)
        store = KeyStore(redis, RedisKeys(settings.redis_prefix))
        try:
            if args.action == "create":
                key_id, secret = await store.create(args.name)
                print(f"{key_id}\t{secret}")
                print("Keep the secret now: it is stored only as a hash.", file=sys.stderr)
            elif args.action == "list":
                for record in await store.list():
                    print(f"{record['key_id']}\t{record['name']}\t{record['created_at']}")
            elif args.action == "revoke":
                if not await store.revoke(args.key_id):
                    print(f"no key {args.key_id}", file=sys.stderr)
                    return 1
                print(f"revoked {args.key_id}")
            elif args.action == "webhook-secret":
                if not await store.exists(args.key_id):
                    print(f"no key {args.key_id}", file=sys.stderr)
                    return 1
                secrets = WebhookSecrets(redis, store.keys)
                record = await (secrets.rotate if args.rotate else secrets.get)(args.key_id)
                print(record["secret"])
            return 0
        finally:
            await redis.aclose()

    return asyncio.run(go())


def _serve(args: argparse.Namespace) -> int:
    from serve_app.launcher import run_forever

    if args.haproxy:
        os.environ["AUDIOLASSO_HAPROXY"] = "true"
    if args.dashboard:
        os.environ["AUDIOLASSO_DASHBOARD"] = "true"
    run_forever(args.config, args.host, args.port)
    return 0


def _worker(args: argparse.Namespace) -> int:
    """A worker process with the backend in-process, outside Ray Serve (and its webhook sender)."""
    import logging

    from serve_app.context import ServiceContext
    from serve_app.jobs.planning import Planner
    from serve_app.jobs.separator_client import LocalSeparator
    from serve_app.registry import get_backend
    from serve_app.routing import backend_key

    logging.basicConfig(level=logging.INFO)
    backend = get_backend(args.backend)(args.variant)
    backend.load(args.device)
    key = backend_key(args.backend, args.variant)

    async def go() -> None:
        ctx = ServiceContext.create(Settings(), [key])
        await asyncio.gather(
            ctx.job_worker(
                {key: LocalSeparator(backend)}, Planner({key: backend}), max_concurrent_jobs=args.jobs
            ).run(),
            ctx.webhook_sender().run(),
        )

    asyncio.run(go())
    return 0


def _eval(args: argparse.Namespace) -> int:
    from serve_app.evaluation import HttpRunner, LocalRunner, Runner, evaluate, side_by_side

    runner: Runner
    if args.url:
        if not args.api_key:
            print("--url needs --api-key (or AUDIOLASSO_API_KEY)", file=sys.stderr)
            return 2
        runner = HttpRunner(args.url, args.api_key, args.backend)
    else:
        runner = LocalRunner.load(args.backend or "dsp")
    reports = []
    for corpus in args.corpus:
        # Several corpora: each one's estimates in OUT/<corpus folder name>.
        out = args.out / corpus.resolve().name if args.out and len(args.corpus) > 1 else args.out
        if len(args.corpus) > 1:
            print(f"\n== {corpus}")
        reports.append(
            asyncio.run(evaluate(corpus, runner, out, spans=not args.without_spans, categories=args.category))
        )
    if len(reports) > 1:
        print("\n" + side_by_side(reports))
    return 1 if any(r["summary"].get("OVERALL", {}).get("failures") for r in reports) else 0


def _deployed(config: Path) -> list[tuple[str, str]]:
    """(backend, variant) of every Separator the Serve config deploys, the default first."""
    from serve_app.application import AppArgs
    from serve_app.launcher import load_config

    ours = [a for a in load_config(config).applications if a.import_path == "serve_app.application:build_app"]
    return [(b.name, b.variant) for app in ours for b in AppArgs.model_validate(app.args or {}).backends]


def _backends(args: argparse.Namespace) -> int:
    from serve_app.registry import backends

    installed = backends()
    deployed = _deployed(args.config)
    rows = []
    for name, cls in sorted(installed.items()):
        info = cls.info
        caps = ",".join(k for k, v in info.capabilities.model_dump().items() if v)
        for variant in info.variants:
            if (name, variant) == deployed[0]:
                state = "deployed (default)"
            else:
                state = "deployed" if (name, variant) in deployed else "installed"
            rows.append((name, variant, state, f"sr={info.sample_rate} {caps}"))
    rows += [(n, v, "deployed, NOT INSTALLED", "") for n, v in deployed if n not in installed]
    print(f"{'backend':14s} {'variant':10s} {'in ' + str(args.config):32s} capabilities")
    for name, variant, state, caps in rows:
        print(f"{name:14s} {variant:10s} {state:32s} {caps}")
    print("\nWhether each deployed one loaded: GET /v1/backends on the running service.", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audiolasso", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "serve",
        help="run the service on this machine (embedded defaults); prints a development API key",
        description="Start a local Ray, deploy the Serve config and serve until interrupted. Without "
        "AUDIOLASSO_REDIS_URL a bundled Redis is started; AUDIOLASSO_API_KEY sets the development key.",
    )
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="Serve config file (default: %(default)s)")
    p.add_argument("--host", help="override the config's http_options.host")
    p.add_argument("--port", type=int, help="override the config's http_options.port")
    p.add_argument(
        "--haproxy",
        action="store_true",
        help="serve through HAProxy straight to the Ingress replicas instead of Ray Serve's proxy "
        "(AUDIOLASSO_HAPROXY=true; needs the haproxy program)",
    )
    p.add_argument(
        "--dashboard",
        action="store_true",
        help="start Ray's dashboard on http://127.0.0.1:8265 (AUDIOLASSO_DASHBOARD=true; off by default to "
        "save memory)",
    )
    p.set_defaults(func=_serve)

    p = sub.add_parser(
        "keys",
        help="manage API keys",
        description="API keys in the service's Redis (AUDIOLASSO_REDIS_URL, or the bundled one of a running "
        "`audiolasso serve`). Keys are stored only as hashes.",
    )
    ks = p.add_subparsers(dest="action", required=True)
    c = ks.add_parser("create", help="create a key; prints its id and secret (the secret only this once)")
    c.add_argument("--name", default="default", help="a label for the key (default: %(default)s)")
    ks.add_parser("list", help="list key ids, names and creation times (never secrets)")
    r = ks.add_parser("revoke", help="revoke a key: its requests are refused from now on")
    r.add_argument("key_id", help="key_... as printed by create or list")
    w = ks.add_parser("webhook-secret", help="print the key's webhook signing secret (whsec_...)")
    w.add_argument("key_id", help="key_... as printed by create or list")
    w.add_argument("--rotate", action="store_true", help="replace it with a new secret first")
    p.set_defaults(func=_keys)

    p = sub.add_parser(
        "worker",
        help="run a job worker with an in-process backend (no Ray)",
        description="Take jobs from the Redis queue (AUDIOLASSO_REDIS_URL) and separate them in this "
        "process, and deliver their webhooks: a worker beside a service, without Ray Serve.",
    )
    p.add_argument("--backend", default="dsp", help="installed backend to run (default: %(default)s)")
    p.add_argument("--variant", default="default", help="its model variant (default: %(default)s)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: %(default)s)")
    p.add_argument("--jobs", type=int, default=2, help="jobs processed at once (default: %(default)s)")
    p.set_defaults(func=_worker)

    p = sub.add_parser(
        "backends",
        help="list installed backends and which the Serve config deploys",
        description="Every installed backend variant, marked deployed (and which is the default) when "
        "the Serve config lists it.",
    )
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="Serve config file (default: %(default)s)")
    p.set_defaults(func=_backends)

    p = sub.add_parser(
        "eval",
        help="score a backend on corpora (SI-SDR improvement per case and category)",
        description="Run every case of each corpus (format: corpora/README.md) and score it; with "
        "several corpora (dev beside a held-out one), a table of the categories side by side.",
    )
    p.add_argument("corpus", type=Path, nargs="+", help="folder of CASE_ID/{mixture,target}.flac + case.json")
    p.add_argument(
        "--out",
        type=Path,
        help="write OUT/CASE_ID/{target,residual}.wav and OUT/results.json (several corpora: OUT/<corpus>/...)",
    )
    p.add_argument("--backend", default=None, help="backend to run (in-process default: dsp)")
    p.add_argument("--url", help="measure a running service over HTTP instead of in-process")
    p.add_argument("--api-key", default=os.environ.get("AUDIOLASSO_API_KEY"), help="for --url (env AUDIOLASSO_API_KEY)")
    p.add_argument("--without-spans", action="store_true", help="drop every case's span hints (what they add)")
    p.add_argument(
        "--category", action="append", help="run only this category's cases (repeat for several; default: all)"
    )
    p.set_defaults(func=_eval)

    client_commands(sub)  # separate, status, result, cancel: the client from a terminal
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
