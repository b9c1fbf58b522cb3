"""Starts N executions of one machine at once through the Step Functions API and reports
how long it took until all had finished, and StartExecution's latency.

    serve-client.py ENDPOINT N THREADS WAIT_SECONDS

Prints one JSON line: {"started", "succeeded", "wall_s", "start_p50_ms", "start_p99_ms",
"start_all_s"}. Used by benches/serve.sh against asl serve and moto alike.
"""
import json, sys, threading, time, uuid
from concurrent.futures import ThreadPoolExecutor

import boto3, botocore.config

endpoint, n, threads, wait = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cfg = botocore.config.Config(inject_host_prefix=False, max_pool_connections=threads,
                             retries={"max_attempts": 0}, read_timeout=120)


def client():
    return boto3.session.Session().client(
        "stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test", config=cfg)


local = threading.local()


def sfn():
    if not hasattr(local, "c"):
        local.c = client()
    return local.c


main = client()
definition = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"id.$": "$.id", "items": [1, 2, 3]}, "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": wait, "Next": "Done"},
        "Done": {"Type": "Pass", "ResultPath": "$.done", "Result": True, "End": True},
    },
}
arn = main.create_state_machine(
    name="bench-" + uuid.uuid4().hex[:8], definition=json.dumps(definition),
    roleArn="arn:aws:iam::123456789012:role/bench")["stateMachineArn"]

# Every thread makes its client and opens its connection before the clock starts (the
# barrier holds each warm-up task until all threads have one).
barrier = threading.Barrier(threads)


def warm(_):
    sfn().describe_state_machine(stateMachineArn=arn)
    barrier.wait()


with ThreadPoolExecutor(threads) as pool:
    list(pool.map(warm, range(threads)))
    latencies = [0.0] * n
    arns = [None] * n

    def start(i):
        t = time.perf_counter()
        arns[i] = sfn().start_execution(stateMachineArn=arn, name=f"e{i}",
                                        input=json.dumps({"id": i}))["executionArn"]
        latencies[i] = time.perf_counter() - t

    t0 = time.perf_counter()
    list(pool.map(start, range(n)))
    started = time.perf_counter() - t0

    # Done when every execution is described as finished (one DescribeExecution per
    # execution still running, from the pool).
    pending = list(arns)
    statuses = {}
    while pending:
        def status(a):
            return a, sfn().describe_execution(executionArn=a)["status"]
        still = []
        for a, s in pool.map(status, pending):
            if s == "RUNNING":
                still.append(a)
            else:
                statuses[a] = s
        pending = still
        if pending:
            time.sleep(0.05)
    wall = time.perf_counter() - t0

lat = sorted(latencies)
pct = lambda p: lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))] * 1000
print(json.dumps({
    "started": n,
    "succeeded": sum(1 for s in statuses.values() if s == "SUCCEEDED"),
    "wall_s": round(wall, 3),
    "start_all_s": round(started, 3),
    "start_p50_ms": round(pct(50), 2),
    "start_p99_ms": round(pct(99), 2),
}))
