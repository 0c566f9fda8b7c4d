"""Crash leftovers: a build's temp dir from a dead process is removed at start-up, index
jobs keep their final state across a restart, and `index stats` names the encoder an index came from, not a
copy inside a version that pruning deletes."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

ADMIN = {"Authorization": "Bearer admin-token-for-tests"}
LAW = ("中华人民共和国在线更新测试法\n\n第一条 为了检验法规库在线更新功能，制定本法。\n第二条 "
    "本法自2026年3月1日起施行。\n")


@pytest.fixture
def index_copy(tiny_index, tmp_path):
    shutil.copytree(tiny_index, tmp_path / "index")
    return tmp_path / "index"


def _assistant(index_dir):
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    return Assistant.from_settings(Settings(llm="none", index_dir=index_dir))


def test_a_dead_builds_temp_dir_is_removed_at_start_up(make_client, index_copy):
    versions = index_copy / "versions"
    dead = versions / ".tmp-00009-20260101T000000-abcdef12-999999999"
    live = versions / f".tmp-00010-20260101T000000-abcdef12-{os.getpid()}"
    for d in (dead, live):
        d.mkdir()
        (d / "articles.jsonl").write_text("x" * 1000)
    make_client(_assistant(index_copy), llm="none", index_dir=index_copy)
    assert not dead.exists() and live.exists()


def _wait(client, url: str) -> dict:
    for _ in range(300):
        job = client.get(url, headers=ADMIN).json()
        if job.get("state") in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(job)


def test_a_jobs_final_state_survives_a_restart(make_client, index_copy, tmp_path):
    settings = {"llm": "none", "index_dir": index_copy, "admin_token": ADMIN["Authorization"][7:],
                "home": tmp_path / "home"}
    first = make_client(_assistant(index_copy), **settings)
    r = first.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("law.txt", LAW.encode())})
    assert r.status_code == 202, r.text
    done = _wait(first, r.json()["status_url"])
    assert done["state"] == "done"
    first.__exit__(None, None, None)
    again = make_client(_assistant(index_copy), **settings)  # a new process: nothing in memory
    got = again.get(r.json()["status_url"], headers=ADMIN)
    assert got.status_code == 200 and got.json() == done
    for job_id in ("..%2F..%2Fetc%2Fpasswd", "%2E%2E", "0" * 13, "ABCDEF123456"):
        assert again.get(f"/v1/index/jobs/{job_id}", headers=ADMIN).status_code in (404, 422)
    assert not list((tmp_path / "home").rglob("*.tmp"))


def test_a_job_running_when_the_server_died_reads_as_interrupted(make_client, index_copy, tmp_path):
    import json

    jobs = tmp_path / "home" / "jobs"
    jobs.mkdir(parents=True)
    job = {"id": "0123456789ab", "state": "running", "stage": "build:dense", "done": 2, "total": 6,
           "version": None, "error": None, "report": {}}
    (jobs / "0123456789ab.json").write_text(json.dumps(job))
    c = make_client(_assistant(index_copy), llm="none", index_dir=index_copy, home=tmp_path / "home",
                    admin_token=ADMIN["Authorization"][7:])
    got = c.get("/v1/index/jobs/0123456789ab", headers=ADMIN).json()
    assert got["state"] == "interrupted" and "restart" in got["error"]


def test_stats_name_the_encoder_the_index_came_from(index_copy, tmp_path, tiny_encoder):
    from lawglm.search.index import stats
    from lawglm.search.updates import apply_update

    (tmp_path / "law.txt").write_text(LAW, encoding="utf-8")
    want = str(Path(tiny_encoder).resolve())
    assert stats(index_copy)["encoder"] == want
    for n in range(4):  # enough updates that the first versions are pruned
        (tmp_path / "law.txt").write_text(LAW + f"第三条 第{n}次修改。\n", encoding="utf-8")
        apply_update(index_copy, [tmp_path / "law.txt"], progress=False)
        assert stats(index_copy)["encoder"] == want
