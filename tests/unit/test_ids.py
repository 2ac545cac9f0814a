"""TypeID-style ids: the spec's encoding, UUIDv7 layout, time order."""

import re
import uuid

from serve_app import ids


def test_encoding_matches_the_typeid_spec_example():
    assert ids.encode(uuid.UUID("01890a5d-ac96-774b-bcce-b302099a8057")) == "01h455vb4pex5vsknk084sn02q"


def test_new_ids_are_uuid7_and_sort_by_time():
    made = [ids.uuid7() for _ in range(200)]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in made)
    assert len(set(made)) == 200
    stamps = [u.int >> 80 for u in made]
    assert stamps == sorted(stamps)
    assert re.fullmatch(r"req_[0-7][0-9a-hjkmnp-tv-z]{25}", ids.new_id("req"))
