"""Peer: Python 3 + requests.Session + json, what the Python mistapi uses.

Same command line and checksum as bench/floor.c:
  get BASE ORG ID COUNT | list BASE ORG COUNT | ids BASE ORG IDSFILE CONC
Concurrency: a ThreadPoolExecutor of CONC workers sharing one Session whose
connection pool holds CONC connections. Over https it trusts BENCH_CA_FILE
(requests speaks HTTP/1.1 only).
"""
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter


def token_sum(t):
    used = t.get("last_used")
    return 1 + t["created_time"] + (used if used is not None else 0)


def session(pool):
    s = requests.Session()
    s.headers["Authorization"] = "Token " + os.environ.get("MIST_APITOKEN", "")
    s.headers["Accept"] = "application/json"
    s.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=pool))
    s.mount("https://", HTTPAdapter(pool_connections=1, pool_maxsize=pool))
    if os.environ.get("BENCH_CA_FILE"):
        s.verify = os.environ["BENCH_CA_FILE"]
    return s


def get(s, url):
    # verify named on each call: REQUESTS_CA_BUNDLE in the environment would
    # override the session's
    r = s.get(url, timeout=60, verify=s.verify)
    if r.status_code != 200:
        sys.exit("peer_python: GET failed: %d" % r.status_code)
    return json.loads(r.content)


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    if mode == "get" and len(argv) == 6:
        s = session(1)
        url = "%s/api/v1/orgs/%s/apitokens/%s" % (argv[2], argv[3], argv[4])
        total = sum(token_sum(get(s, url)) for _ in range(int(argv[5])))
    elif mode == "list" and len(argv) == 5:
        s = session(1)
        url = "%s/api/v1/orgs/%s/apitokens" % (argv[2], argv[3])
        total = sum(sum(token_sum(t) for t in get(s, url)) for _ in range(int(argv[4])))
    elif mode == "ids" and len(argv) == 6:
        conc = int(argv[5])
        s = session(conc)
        with open(argv[4]) as f:
            ids = [line.strip() for line in f if line.strip()]
        prefix = "%s/api/v1/orgs/%s/apitokens/" % (argv[2], argv[3])
        if conc == 1:
            total = sum(token_sum(get(s, prefix + i)) for i in ids)
        else:
            with ThreadPoolExecutor(max_workers=conc) as pool:
                total = sum(token_sum(t) for t in pool.map(lambda i: get(s, prefix + i), ids))
    else:
        sys.exit("usage: get BASE ORG ID COUNT | list BASE ORG COUNT | ids BASE ORG IDSFILE CONC")
    print("checksum %d" % total)


if __name__ == "__main__":
    main(sys.argv)
