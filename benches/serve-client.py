"""Starts N executions of one machine at once through the Step Functions API and reports
how long it took until all had finished, and StartExecution's latency.

    serve-client.py ENDPOINT N THREADS WAIT_SECONDS [boto3|raw]

`boto3` (the default): THREADS threads, each with its own boto3 client, as SDK users call.
`raw`: one asyncio loop, THREADS keep-alive connections sending the API's JSON by hand
(unsigned: neither server checks signatures), so the client is not what limits the rate.

Prints one JSON line: {"started", "succeeded", "wall_s", "start_p50_ms", "start_p99_ms",
"start_all_s"}. Used by benches/serve.sh against asl serve and moto alike.
"""
import json, sys, threading, time, uuid
from concurrent.futures import ThreadPoolExecutor

import boto3, botocore.config

endpoint, n, threads, wait = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
mode = sys.argv[5] if len(sys.argv) > 5 else "boto3"
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

async def raw_run():
    import asyncio
    from urllib.parse import urlsplit
    u = urlsplit(endpoint)
    # moto picks the service from the credential scope of the Authorization header.
    auth = ("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/states/aws4_request, "
            "SignedHeaders=host;x-amz-target, Signature=0")

    async def call(conn, op, body):
        """`conn` is a list [reader, writer], renewed when the server closed it (moto's
        server answers HTTP/1.0 and closes after each answer)."""
        data = json.dumps(body).encode()
        request = (f"POST / HTTP/1.1\r\nHost: {u.netloc}\r\nX-Amz-Target: AWSStepFunctions.{op}\r\n"
                   f"Content-Type: application/x-amz-json-1.0\r\nAuthorization: {auth}\r\n"
                   f"Content-Length: {len(data)}\r\n\r\n").encode() + data
        if conn[1] is None:
            conn[:] = await connect()
        r, w = conn
        w.write(request)
        await w.drain()
        first = await r.readline()
        if not first:
            w.close()
            conn[:] = await connect()
            r, w = conn
            w.write(request)
            await w.drain()
            first = await r.readline()
        version, status = first.split()[0], int(first.split()[1])
        length, close = 0, version == b"HTTP/1.0"
        while True:
            line = await r.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode().partition(":")
            if k.strip().lower() == "content-length":
                length = int(v.strip())
            if k.strip().lower() == "connection":
                close = v.strip().lower() == "close"
        payload = json.loads(await r.readexactly(length)) if length else {}
        if close:
            w.close()
            conn[:] = [None, None]
        if status != 200:
            raise RuntimeError(f"{op}: HTTP {status} {payload}")
        return payload

    async def connect():
        return list(await asyncio.open_connection(u.hostname, u.port))

    conns = [await connect() for _ in range(threads)]
    for c in conns:
        await call(c, "DescribeStateMachine", {"stateMachineArn": arn})
    queue = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    latencies, arns = [0.0] * n, [None] * n

    async def starter(c):
        while not queue.empty():
            i = queue.get_nowait()
            t = time.perf_counter()
            out = await call(c, "StartExecution", {"stateMachineArn": arn, "name": f"e{i}",
                                                   "input": json.dumps({"id": i})})
            latencies[i] = time.perf_counter() - t
            arns[i] = out["executionArn"]

    t0 = time.perf_counter()
    await asyncio.gather(*(starter(c) for c in conns))
    started = time.perf_counter() - t0
    pending, statuses = list(arns), {}
    while pending:
        still = []

        async def check(c, part):
            for a in part:
                s = (await call(c, "DescribeExecution", {"executionArn": a}))["status"]
                (still.append(a) if s == "RUNNING" else statuses.__setitem__(a, s))

        await asyncio.gather(*(check(c, pending[k::threads]) for k, c in enumerate(conns)))
        pending = still
        if pending:
            await asyncio.sleep(0.05)
    wall = time.perf_counter() - t0
    for _, w in conns:
        if w is not None:
            w.close()
    return latencies, statuses, started, wall


if mode == "raw":
    import asyncio
    latencies, statuses, started, wall = asyncio.run(raw_run())
else:
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
    "client": mode,
    "started": n,
    "succeeded": sum(1 for s in statuses.values() if s == "SUCCEEDED"),
    "wall_s": round(wall, 3),
    "start_all_s": round(started, 3),
    "start_p50_ms": round(pct(50), 2),
    "start_p99_ms": round(pct(99), 2),
}))
