"""The local side-by-side comparison: runner, exposure audit, cost model and reports."""
