"""Whatever value an element of a Bundle holds, decoding gives an event or a ContractError.

The router refuses a record it cannot decode by sending it to the dead-letter topic, which
it can do only for a ContractError: anything else raised while decoding is a record it
could not name the fault of.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import ContractError, Event, KafkaRecord
from schemas.examples import example_codec, example_events
from tests.bundles import with_value_at

CODEC: Final = example_codec()
RECORDS: Final = [CODEC.encode(event) for _, event in example_events()]

_Path = tuple[str | int, ...]

JSON_VALUES: Final = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["Bundle", "Patient", "urn:uuid:x", "urn:oid:1.2", "2026-13-45"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["resourceType", "coding", "url", "value"]), children)
    ),
    max_leaves=5,
)


def _paths(node: Any, prefix: _Path = ()) -> Iterator[_Path]:
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _with_value(record: KafkaRecord, path_choice: int, value: Any) -> KafkaRecord:
    paths = list(_paths(json.loads(record.value)))
    return with_value_at(record, paths[path_choice % len(paths)], value)


@settings(deadline=None, max_examples=300)
@given(
    record=st.sampled_from(RECORDS),
    path_choice=st.integers(min_value=0, max_value=10_000),
    value=JSON_VALUES,
)
def test_any_value_anywhere_in_a_bundle_decodes_or_is_refused_as_a_contract_error(
    record: KafkaRecord, path_choice: int, value: Any
) -> None:
    changed = _with_value(record, path_choice, value)

    try:
        outcome: object = CODEC.decode(changed)
    except ContractError as refusal:
        outcome = refusal

    assert isinstance(outcome, Event | ContractError)
