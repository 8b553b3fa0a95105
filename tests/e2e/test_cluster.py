"""The cluster, briefly (bench/cluster_bench.py runs it for 5 minutes with every fault):
nginx in front of two nodes on PostgreSQL and a Redis of its own, Locust's clients for
60 s, one Rasa server killed mid-turn with the webhook retried through nginx. Every SMS
and chat message is answered exactly once, for the right client of the right clinic."""

from __future__ import annotations

import pytest

from bench import cluster_bench


# Two Rasa servers load their model side by side before the 60 s of load: on a busy
# 2-core machine that alone can take minutes.
@pytest.mark.timeout(900)
def test_the_cluster_answers_every_message_once_through_a_crash(tmp_path):
    result = cluster_bench.run(users=30, seconds=60, faults=True, only_rasa=True, directory=tmp_path)
    counts = result["check"]["counts"]
    problems = result["check"]["problems"]
    assert result["locust_exit"] in (0, 1), result["locust_tail"]  # 1: Locust saw failed requests (checked below)
    [retried] = result["retried"]
    assert retried["status"] == 200
    assert result["channels"]["sms"]["requests"] > 10 and result["channels"]["web"]["requests"] > 5
    for name in ("sms lost", "sms doubled", "sms wrong client", "web lost", "web wrong client", "follow-ups doubled"):
        assert counts.get(name, 0) == 0, (name, problems[:10])
