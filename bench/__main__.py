"""`make bench`: every benchmark; each rewrites its own section of bench/RESULTS.md."""
from bench import assistant_bench

if __name__ == "__main__":
    assistant_bench.main()
    try:
        from bench import sms_bench
    except ImportError:  # the SMS benchmark arrives with the SMS channel
        sms_bench = None
    if sms_bench is not None:
        sms_bench.main()
