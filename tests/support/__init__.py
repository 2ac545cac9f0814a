"""What the tests share: a live service to talk to over HTTP (``service``), the
service's own calls for one backend (``backends``), audio made for tests
(``audio``, ``concepts``, ``hostile_audio``), and stand-ins for what cannot exist
here (``sam_fake``), plus a webhook receiver and an SSE reader."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
