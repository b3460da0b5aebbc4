"""Start a CRM sandbox alone for manual exploration:

python -m sandbox salesforce --port 8080   # then log in with admin@sandbox.example / password / TOKEN
python -m sandbox hubspot --port 8090      # token pat-na1-sandbox
"""

from __future__ import annotations

import argparse
import time

from sandbox.demo_data import DemoSpec, generate
from sandbox.demo_org import demo_hubspot_portal, demo_salesforce_org
from sandbox.hubspot import HubSpotSandbox
from sandbox.salesforce import SalesforceSandbox


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Local CRM sandboxes (127.0.0.1 only).")
    parser.add_argument("crm", choices=["salesforce", "hubspot"])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--opportunities", type=int, default=3000)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--movements", type=int, default=2000)
    args = parser.parse_args()
    data = generate(
        DemoSpec(seed=args.seed, accounts=args.accounts, opportunities=args.opportunities, movements=args.movements)
    )
    if args.crm == "salesforce":
        org = demo_salesforce_org(data=data)
        sandbox = SalesforceSandbox(org).start(args.port)
        print(
            f"Salesforce sandbox at {sandbox.url}  (username {org.username}, password {org.password}, "
            f"security token {org.security_token}; set 'API base URL' to this address in Connect)"
        )
    else:
        portal = demo_hubspot_portal(data=data)
        sandbox = HubSpotSandbox(portal).start(args.port)
        print(f"HubSpot sandbox at {sandbox.url}  (private app token {portal.token}; set 'API host' in Connect)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sandbox.stop()


if __name__ == "__main__":
    main()
