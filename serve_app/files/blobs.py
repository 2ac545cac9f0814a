"""Where the bytes of uploads and results live: a local (or shared) directory, the embedded
default, or an S3-compatible object store (AWS S3, MinIO, ...) selected by configuration.

Records, ownership, quotas and expiry stay in Redis (``files.store``); a blob store only
keeps bytes under a file id. The worker stages a blob to a local path to decode it; the API
serves one by a local path, a stream, or a redirect to a presigned URL.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from serve_app.config import Settings
from serve_app.errors import StorageUnavailable

CHUNK = 1 << 20  # bytes per read when streaming a download


class LocalBlobs:
    """Files in ``root``: on a multi-node cluster a volume every node mounts."""

    presigns = False

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def local_path(self, name: str) -> Path:
        return self.root / name

    async def put(self, name: str, src: Path) -> None:
        await asyncio.to_thread(shutil.move, src, self.local_path(name))

    async def stage(self, name: str, work: Path) -> Path:
        """A local path holding the blob: the stored file itself (``work`` is not used)."""
        path = self.local_path(name)
        if not path.exists():
            raise FileNotFoundError(name)
        return path

    async def delete(self, name: str) -> None:
        self.local_path(name).unlink(missing_ok=True)

    async def check(self) -> None:
        """Raise unless blobs can be written (readiness)."""
        probe = self.root / f".ready-{uuid.uuid4().hex}"
        await asyncio.to_thread(probe.write_bytes, b"ok")
        probe.unlink()


class S3Blobs:
    """Objects ``{prefix}{file id}`` in one bucket, through boto3 (credentials from its usual
    chain: environment, shared config, instance or pod role; never from our settings)."""

    presigns = True

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, region: str | None = None):
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            # Fail over to a 503 quickly rather than hold a request for minutes; path-style
            # addressing works with MinIO and any endpoint, virtual-hosted with AWS.
            config=Config(
                signature_version="s3v4",  # what every region and MinIO take; presigned URLs carry X-Amz-Expires
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path" if endpoint_url else "auto"},
            ),
        )

    def local_path(self, name: str) -> None:
        return None  # nothing local: see open() and presigned_url()

    def _key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    async def _call(self, method: str, **kwargs: Any) -> Any:
        return await asyncio.to_thread(self._sync_call, method, **kwargs)

    def _sync_call(self, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(kwargs.get("Key", "")) from None
            raise StorageUnavailable(f"object store: {exc.response.get('Error', {}).get('Code')}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"object store: {type(exc).__name__}") from exc

    async def put(self, name: str, src: Path) -> None:
        await self._call("upload_file", Filename=str(src), Bucket=self.bucket, Key=self._key(name))
        src.unlink(missing_ok=True)

    async def stage(self, name: str, work: Path) -> Path:
        """Download the blob to ``work`` (the caller removes it)."""
        await self._call("download_file", Bucket=self.bucket, Key=self._key(name), Filename=str(work))
        return work

    async def delete(self, name: str) -> None:
        await self._call("delete_object", Bucket=self.bucket, Key=self._key(name))

    async def check(self) -> None:
        await self._call("head_bucket", Bucket=self.bucket)

    async def open(self, name: str) -> tuple[int, AsyncIterator[bytes]]:
        """The blob's length and its bytes in chunks; a missing blob or an unreachable store
        raises here, before a response has begun."""
        response = await self._call("get_object", Bucket=self.bucket, Key=self._key(name))
        body = response["Body"]

        async def chunks() -> AsyncIterator[bytes]:
            parts: Iterator[bytes] = body.iter_chunks(CHUNK)
            try:
                while chunk := await asyncio.to_thread(next, parts, b""):
                    yield chunk
            finally:
                body.close()

        return int(response["ContentLength"]), chunks()

    def presigned_url(self, name: str, expires_s: int, file_name: str, content_type: str) -> str:
        """A time-limited GET URL for the object, named for download as ``file_name``."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._key(name),
                "ResponseContentType": content_type,
                "ResponseContentDisposition": f'attachment; filename="{file_name}"',
            },
            ExpiresIn=max(1, int(expires_s)),
        )


Blobs = LocalBlobs | S3Blobs


def blob_store(settings: Settings) -> Blobs:
    """The store ``AUDIOLASSO_STORAGE`` selects."""
    if settings.storage == "s3":
        assert settings.s3_bucket is not None  # Settings refuses s3 without a bucket
        return S3Blobs(settings.s3_bucket, settings.s3_prefix, settings.s3_endpoint_url, settings.s3_region)
    return LocalBlobs(Path(settings.data_dir) / "files")
