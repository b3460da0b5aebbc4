"""Revenue insights: weighted pipeline, ARR actuals, the ARR bridge, plan vs actual and pipeline↔ARR reconciliation.

Every figure the Revenue page, the exports and the CLI show is computed here with polars, on frames
read by `storage.insights`; pages only render what these functions return.
"""
