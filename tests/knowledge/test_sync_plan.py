"""The sync plan, as properties: carried out, it leaves the store holding exactly the folder;
planned again on the result, it is empty (a second sync sends nothing)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from openaiassistant.knowledge.sync import LocalFile, attributes, plan_sync

keys = st.sampled_from(["a.md", "b.md", "db/c.md", "d.txt", "e/f/g.md"])
versions = st.sampled_from(["v1", "v2", "v3"])
folders = st.dictionaries(keys, versions, max_size=5)
# a store: synced files (some duplicated, some failed) and files no sync put there
stores = st.lists(
    st.tuples(keys, versions, st.sampled_from(["completed", "completed", "failed"]), st.booleans()), max_size=8
)


def _local(folder: dict[str, str]) -> list[LocalFile]:
    return [LocalFile(path=Path(k), key=k, sha256=v, size=1) for k, v in sorted(folder.items())]


def _store(entries: list[tuple[str, str, str, bool]]) -> list[dict]:
    out = []
    for i, (key, version, status, synced) in enumerate(entries):
        attrs = {"path": key, "sha256": version} if synced else {}
        out.append({"id": f"file-{i}", "status": status, "created_at": i, "attributes": attrs})
    return out


def _apply(plan, store: list[dict]) -> list[dict]:
    gone = {fid for _, fid in plan.remove + plan.duplicates} | {fid for _, old in plan.replace for fid in old}
    kept = [f for f in store if f["id"] not in gone]
    added = [
        {"id": f"new-{item.key}", "status": "completed", "created_at": 100, "attributes": attributes(item)}
        for item in plan.upload + [item for item, _ in plan.replace]
    ]
    return kept + added


@given(folder=folders, entries=stores)
def test_a_carried_out_plan_leaves_exactly_the_folder(folder, entries):
    store = _store(entries)
    after = _apply(plan_sync(_local(folder), store), store)
    synced = {(f["attributes"]["path"], f["attributes"]["sha256"]) for f in after if f["attributes"]}
    assert synced == set(folder.items())
    paths = [f["attributes"]["path"] for f in after if f["attributes"]]
    assert len(paths) == len(set(paths))  # one copy of each file
    assert all(f["status"] == "completed" for f in after if f["attributes"])
    # files no sync put there are never touched
    assert [f for f in store if not f["attributes"]] == [f for f in after if not f["attributes"]]


@given(folder=folders, entries=stores)
def test_a_second_sync_plans_nothing(folder, entries):
    store = _store(entries)
    after = _apply(plan_sync(_local(folder), store), store)
    again = plan_sync(_local(folder), after)
    assert again.empty and sorted(again.unchanged) == sorted(folder)
