"""Where uploads and results live: bytes on a filesystem, metadata in Redis."""
