"""The ``audiolasso`` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from serve_app.config import Settings

DEFAULT_CONFIG = Path("configs/local.yaml")


def _keys(args: argparse.Namespace) -> int:
    from serve_app.apikeys import KeyStore
    from serve_app.redis_conn import connect
    from serve_app.redis_keys import RedisKeys

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
            return 0
        finally:
            await redis.aclose()

    return asyncio.run(go())


def _serve(args: argparse.Namespace) -> int:
    from serve_app.launcher import run_forever

    run_forever(args.config, args.host, args.port)
    return 0


def _worker(args: argparse.Namespace) -> int:
    """A worker process with the backend in-process, outside Ray Serve."""
    import logging

    from serve_app.context import ServiceContext
    from serve_app.jobs.separator_client import LocalSeparator
    from serve_app.jobs.worker import JobWorker
    from serve_app.plugins import get_backend

    logging.basicConfig(level=logging.INFO)
    backend = get_backend(args.backend)(args.variant)
    backend.load(args.device)

    async def go() -> None:
        ctx = ServiceContext.create(Settings(), [args.backend])
        await JobWorker(ctx, {args.backend: LocalSeparator(backend)}, max_concurrent_jobs=args.jobs).run()

    asyncio.run(go())
    return 0


def _backends(args: argparse.Namespace) -> int:
    from serve_app.plugins import backends

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
    p.set_defaults(func=_keys)

    p = sub.add_parser("worker", help="run a job worker with an in-process backend (no Ray)")
    p.add_argument("--backend", default="dsp")
    p.add_argument("--variant", default="default")
    p.add_argument("--device", default="cpu")
    p.add_argument("--jobs", type=int, default=2, help="jobs processed at once")
    p.set_defaults(func=_worker)

    p = sub.add_parser("backends", help="list installed backends")
    p.set_defaults(func=_backends)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
