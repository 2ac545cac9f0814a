"""The ``audiolasso`` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

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
    from serve_app.evaluation import HttpRunner, LocalRunner, Runner, evaluate

    runner: Runner
    if args.url:
        if not args.api_key:
            print("--url needs --api-key (or AUDIOLASSO_API_KEY)", file=sys.stderr)
            return 2
        runner = HttpRunner(args.url, args.api_key, args.backend)
    else:
        runner = LocalRunner.load(args.backend or "dsp")
    report = asyncio.run(evaluate(args.corpus, runner, args.out, spans=not args.without_spans))
    return 1 if report["summary"]["OVERALL"]["failures"] else 0


def _backends(args: argparse.Namespace) -> int:
    from serve_app.registry import backends

    for name, cls in sorted(backends().items()):
        info = cls.info
        caps = ",".join(k for k, v in info.capabilities.model_dump().items() if v)
        print(f"{name}\tvariants={','.join(info.variants)}\tsr={info.sample_rate}\tcapabilities={caps}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="audiolasso", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the service on this machine (embedded defaults)")
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="Serve config file")
    p.add_argument("--host", help="override http_options.host")
    p.add_argument("--port", type=int, help="override http_options.port")
    p.set_defaults(func=_serve)

    p = sub.add_parser("keys", help="manage API keys (needs AUDIOLASSO_REDIS_URL)")
    ks = p.add_subparsers(dest="action", required=True)
    c = ks.add_parser("create")
    c.add_argument("--name", default="default")
    ks.add_parser("list")
    r = ks.add_parser("revoke")
    r.add_argument("key_id")
    w = ks.add_parser("webhook-secret", help="print the key's webhook signing secret (whsec_...)")
    w.add_argument("key_id")
    w.add_argument("--rotate", action="store_true", help="replace it with a new secret first")
    p.set_defaults(func=_keys)

    p = sub.add_parser("worker", help="run a job worker with an in-process backend (no Ray)")
    p.add_argument("--backend", default="dsp")
    p.add_argument("--variant", default="default")
    p.add_argument("--device", default="cpu")
    p.add_argument("--jobs", type=int, default=2, help="jobs processed at once")
    p.set_defaults(func=_worker)

    p = sub.add_parser("backends", help="list installed backends")
    p.set_defaults(func=_backends)

    p = sub.add_parser("eval", help="score a backend on a corpus (SI-SDR improvement per case and category)")
    p.add_argument("corpus", type=Path, help="folder of CASE_ID/{mixture,target}.flac + case.json")
    p.add_argument("--out", type=Path, help="write OUT/CASE_ID/{target,residual}.wav and OUT/results.json")
    p.add_argument("--backend", default=None, help="backend to run (in-process default: dsp)")
    p.add_argument("--url", help="measure a running service over HTTP instead of in-process")
    p.add_argument("--api-key", default=os.environ.get("AUDIOLASSO_API_KEY"), help="for --url (env AUDIOLASSO_API_KEY)")
    p.add_argument("--without-spans", action="store_true", help="drop every case's span hints (what they add)")
    p.set_defaults(func=_eval)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
