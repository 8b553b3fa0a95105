"""`make bench`: every benchmark; each rewrites its own section of bench/RESULTS.md."""

from bench import assistant_bench, cluster_bench, growth_bench, insights_bench, sms_bench

if __name__ == "__main__":
    assistant_bench.main()
    sms_bench.main()
    growth_bench.main()
    cluster_bench.main()
    insights_bench.main()
