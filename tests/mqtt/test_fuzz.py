"""Thousands of arbitrary requests: every one is answered, and the wall stays alive."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from board.mqtt.commands import COMMANDS, ErrorCode

# card/enroll rightly waits up to its timeout for a tag; everything else answers at once.
FUZZED_COMMANDS = sorted(set(COMMANDS) - {"card/enroll"})
FIELD_NAMES = sorted({name for command in COMMANDS.values() for name in command.model.model_fields})

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=120)
    | st.sampled_from(["A1", "04AA0000000001", "current", "next", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
documents = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=12), json_values, max_size=6)
payloads = (
    documents.map(lambda document: json.dumps(document).encode())
    | st.binary(max_size=200)
    | st.sampled_from([b"", b"null", b"[]", b"{", b'{"name": "\\u0000"}', b"\xff" * 10, b"[" * 5000])
)
commands = st.sampled_from(FUZZED_COMMANDS) | st.text(
    st.characters(codec="ascii", categories=["L", "N"]) | st.just("/"), min_size=1, max_size=30
)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=commands, payload=payloads)
def test_every_request_is_answered_and_the_wall_stays_alive(running, command, payload):
    running.admin.publish(f"{running.base}/request/{command}", payload, raw=True)
    response = running.admin.wait_for(f"{running.base}/response/{command}", timeout=10).json()
    assert response["status"] in ("ok", "error")
    if response["status"] == "error":
        assert response["error"]["code"] in set(ErrorCode) - {ErrorCode.INTERNAL_ERROR}, response
    assert all(thread.is_alive() for thread in running.service._threads)
